/// Secrets the engine holds in memory only, read from the file named by `--secrets`:
/// never from the database or the rule files, never written anywhere.
public struct Secrets: Sendable {
    /// Stripe webhook endpoint secrets (`whsec_...`), as bytes: an event verifies under any
    /// of them, so an endpoint's secret can be rolled without losing events.
    public var stripeWebhookSecrets: [[UInt8]]

    public init(stripeWebhookSecrets: [[UInt8]] = []) { self.stripeWebhookSecrets = stripeWebhookSecrets }

    public static let none = Secrets()

    /// The names a secrets file may set, one `NAME=value` per line.
    public static let stripeWebhookSecret = "stripe.webhook_secret"

    /// Reads a secrets file: `NAME=value` lines, `#` comments and blank lines ignored, a
    /// name repeated for several values. Unknown names and malformed lines are errors
    /// naming the line (never echoing a value).
    public static func parse(_ text: String) -> Result<Secrets, SecretsError> {
        var secrets = Secrets()
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                return .failure(SecretsError(line: i + 1, message: "expected NAME=value"))
            }
            let name = String(trimmed[..<eq]).trimmingWhitespace, value = String(trimmed[trimmed.index(after: eq)...]).trimmingWhitespace
            guard !value.isEmpty else { return .failure(SecretsError(line: i + 1, message: "\(name) has no value")) }
            guard value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                return .failure(SecretsError(line: i + 1, message: "\(name): a value is printable ASCII without spaces"))
            }
            switch name {
            case stripeWebhookSecret: secrets.stripeWebhookSecrets.append(Array(value.utf8))
            default: return .failure(SecretsError(line: i + 1, message: "unknown name '\(name)' (known: \(stripeWebhookSecret))"))
            }
        }
        return .success(secrets)
    }
}

public struct SecretsError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}
