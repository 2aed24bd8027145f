import JSONRPC

/// The exact request a host sends a provider to pay a payout out. It is made from the
/// payout alone, so asking for it again gives the same bytes, key included: a host that
/// crashed after sending resends it, and the provider deduplicates by the key. Paths are
/// the provider's; the host prefixes its base URL (live or sandbox) and its credentials.
public enum TransferInstruction: Sendable, Equatable {
    /// Stripe `POST /v1/transfers`, form-encoded, with an `Idempotency-Key` header.
    case stripe(form: [FormField], idempotencyKey: String)
    /// PayPal `POST /v1/payments/payouts`, a JSON body whose `sender_batch_id` PayPal
    /// deduplicates by, and the same value as the `PayPal-Request-Id` header.
    case paypal(body: JSONValue, requestId: String)

    public struct FormField: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    /// The key both providers deduplicate a payout's request by.
    public static func key(payoutId: String) -> String { "portico-" + payoutId }

    /// A transfer of `amount` (minor units, the currency in lower case) to a connected
    /// account, grouped and tagged with the payout's id.
    public static func stripe(payoutId: String, amount: Money, destination: String) -> TransferInstruction {
        .stripe(form: [
            FormField("amount", String(amount.amount)),
            FormField("currency", amount.currency.code.lowercased()),
            FormField("destination", destination),
            FormField("transfer_group", payoutId),
            FormField("metadata[payout_id]", payoutId),
        ], idempotencyKey: key(payoutId: payoutId))
    }

    /// A one-item payout batch: the amount as a decimal string in the currency's major
    /// units, to an email address or a PayPal payer id (`recipientType` `EMAIL` or
    /// `PAYPAL_ID`).
    public static func paypal(payoutId: String, amount: Money, receiver: String, recipientType: String) -> TransferInstruction {
        .paypal(body: [
            "sender_batch_header": ["sender_batch_id": .string(payoutId)],
            "items": [[
                "recipient_type": .string(recipientType),
                "amount": ["value": .string(amount.decimalText), "currency": .string(amount.currency.code)],
                "receiver": .string(receiver),
                "sender_item_id": .string(payoutId),
            ]],
        ], requestId: key(payoutId: payoutId))
    }

    /// `application/x-www-form-urlencoded`: letters, digits and `*-._` as they are, a
    /// space as `+`, every other byte of the UTF-8 text as `%XX`.
    public static func formBody(_ fields: [FormField]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 } * 3 / 2)
        func encode(_ text: String) {
            for b in text.utf8 {
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                    out.append(b)
                case UInt8(ascii: " "):
                    out.append(UInt8(ascii: "+"))
                default:
                    out.append(UInt8(ascii: "%"))
                    out.append(Self.upperHex[Int(b >> 4)])
                    out.append(Self.upperHex[Int(b & 0xF)])
                }
            }
        }
        for (i, f) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: "&")) }
            encode(f.name)
            out.append(UInt8(ascii: "="))
            encode(f.value)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let upperHex = Array("0123456789ABCDEF".utf8)

    /// The instruction as answered to the host.
    public var json: JSONValue {
        switch self {
        case .stripe(let form, let key):
            return [
                "provider": "stripe", "method": "POST", "path": "/v1/transfers",
                "headers": ["Idempotency-Key": .string(key), "Content-Type": "application/x-www-form-urlencoded"],
                "form": .array(form.map { [.string($0.name), .string($0.value)] }),
                "body": .string(Self.formBody(form)),
            ]
        case .paypal(let body, let requestId):
            return [
                "provider": "paypal", "method": "POST", "path": "/v1/payments/payouts",
                "headers": ["PayPal-Request-Id": .string(requestId), "Content-Type": "application/json"],
                "body": body,
            ]
        }
    }
}
