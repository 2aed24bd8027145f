/// The uniqueness the store's constraints enforce (see `Store`), each with the field a
/// request names and why a second value conflicts: what every store answers, as
/// `PorticoError.conflict`, when a write breaks one. Each store maps its own name for the
/// constraint (SQLite's column list, PostgreSQL's constraint name) to one of these.
public enum UniqueKey: String, CaseIterable, Sendable {
    case partnerSubdomain, memberEmail, memberOwner, resellerEmail, customerEmail, saleExternalId, idempotencyKey,
         payoutPeriod, providerEvent, payoutAccount, usageEvent, brandHostname

    public var field: String {
        switch self {
        case .partnerSubdomain: "subdomain"
        case .memberEmail, .resellerEmail, .customerEmail: "email"
        case .memberOwner: "role"
        case .saleExternalId: "externalId"
        case .idempotencyKey: "idempotencyKey"
        case .payoutPeriod: "period"
        case .providerEvent: "payload.id"
        case .payoutAccount: "currency"
        case .usageEvent: "eventId"
        case .brandHostname: "hostname"
        }
    }

    public var reason: String {
        switch self {
        case .partnerSubdomain: "is already taken"
        case .memberEmail: "is already a member of this partner"
        case .memberOwner: "the partner already has an owner"
        case .resellerEmail: "is already a reseller of this partner"
        case .customerEmail: "is already a customer of this partner"
        case .saleExternalId: "a sale was already recorded under this external id"
        case .idempotencyKey: "was already used"
        case .payoutPeriod: "a payout was already created for this partner, currency and period"
        case .providerEvent: "this event was already applied"
        case .payoutAccount: "the partner already has an account for this currency"
        case .usageEvent: "an event was already recorded under this id"
        case .brandHostname: "is already claimed (by this partner or another)"
        }
    }

    public var error: PorticoError { .conflict(field, reason) }
}
