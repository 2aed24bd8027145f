@testable import PorticoRules

let testCatalog = ActionCatalog([
    .init("partner.get", .read), .init("partner.update", .write), .init("partner.create", .write),
    .init("partner.members.add", .write), .init("partner.members.list", .read), .init("reseller.create", .write),
    .init("reseller.get", .read), .init("reseller.list", .read), .init("audit.list", .read), .init("audit.verify", .read),
    .init("payout.create", .write), .init("rules.reload", .write),
])

func compile(_ text: String) -> (PermissionRules?, [String]) {
    let (rules, diagnostics) = PermissionRules.compile(text, file: "p.yaml", catalog: testCatalog)
    return (rules, diagnostics.map(\.description))
}

/// The one diagnostic a text produces.
func diagnostic(_ text: String) -> String? {
    let (_, d) = compile(text)
    return d.first
}
