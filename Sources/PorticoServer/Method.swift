import JSONRPC
import PorticoCore

/// One entry of the method table: its name, what it touches, and how it runs.
public struct Method: Sendable {
    public enum Access: Sendable {
        /// Answers from the engine alone (no database).
        case none
        /// Reads inside the group's transaction.
        case read
        /// Writes inside its own savepoint of the group's transaction; takes an
        /// `idempotencyKey`; audited by its service.
        case write
    }

    public enum Body: Sendable {
        case engine(@Sendable (inout Params, Engine) throws -> JSONValue)
        case service(@Sendable (inout Params, RequestContext) throws -> JSONValue)
    }

    public let name: String
    public let access: Access
    /// Whether params carry an `actor` that is resolved before the body runs.
    public let needsActor: Bool
    public let body: Body

    public init(_ name: String, access: Access, needsActor: Bool = true,
                _ run: @escaping @Sendable (inout Params, RequestContext) throws -> JSONValue)
    {
        self.name = name
        self.access = access
        self.needsActor = needsActor
        body = .service(run)
    }

    public init(engine name: String, _ run: @escaping @Sendable (inout Params, Engine) throws -> JSONValue) {
        self.name = name
        access = .none
        needsActor = false
        body = .engine(run)
    }
}

/// Every method the engine serves, by area.
public enum MethodTable {
    public static let all: [Method] = SystemMethods.all + PartnerMethods.all + MemberMethods.all + AuditMethods.all
}
