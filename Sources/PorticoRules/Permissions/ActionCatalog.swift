/// The actions permission rules decide on: the engine's methods, each a read or a write.
/// The server supplies it, so rule files are checked against the methods that exist.
public struct ActionCatalog: Sendable {
    public enum Access: String, Sendable { case read, write }

    public struct Action: Sendable {
        public var name: String
        public var access: Access
        /// Whether an API client may call it (a scope may grant it): the partner API's
        /// `api.*`, and what a resource server calls with its client credentials.
        public var byClient: Bool
        public init(_ name: String, _ access: Access, byClient: Bool? = nil) {
            self.name = name
            self.access = access
            self.byClient = byClient ?? name.hasPrefix("api.")
        }
    }

    public let actions: [Action]
    let index: [String: Int]

    public init(_ actions: [Action]) {
        self.actions = actions
        index = Dictionary(uniqueKeysWithValues: actions.enumerated().map { ($1.name, $0) })
    }

    public func slot(_ name: String) -> Int? { index[name] }

    /// The actions a pattern names: `*`, `prefix.*` (any depth below the prefix), or an
    /// exact name.
    public func matching(_ pattern: String) -> [Int] {
        if pattern == "*" { return Array(actions.indices) }
        if pattern.hasSuffix(".*") {
            let prefix = pattern.dropLast(1)
            return actions.indices.filter { actions[$0].name.hasPrefix(prefix) }
        }
        return index[pattern].map { [$0] } ?? []
    }
}

/// Who is calling, as permission rules see it.
public enum Principal: String, Sendable, CaseIterable {
    case platform, member, client
}

/// A member's role within its partner.
public enum MemberRoleName: String, Sendable, CaseIterable {
    case owner, manager, sales, support, viewer
}
