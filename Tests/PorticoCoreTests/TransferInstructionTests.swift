import JSONRPC
import PorticoCore
import PorticoRules
import Testing

/// The provider requests a payout's processing hands the host: exact, and the same every
/// time they are made from the same payout.
@Suite struct TransferInstructionTests {
    @Test func stripeGetsMinorUnitsALowerCaseCurrencyAndTheIdempotencyKey() {
        let i = TransferInstruction.stripe(payoutId: "pay_01", amount: Money(123_45, Currency.named("EUR")!), destination: "acct_1234567890ABCDEF")
        #expect(i.json["headers"]?["Idempotency-Key"] == "portico-pay_01")
        #expect(i.json["body"] == "amount=12345&currency=eur&destination=acct_1234567890ABCDEF&transfer_group=pay_01&metadata%5Bpayout_id%5D=pay_01")
        #expect(i.json["path"] == "/v1/transfers")
        #expect(JSONWriter.string(i.json) == JSONWriter.string(TransferInstruction.stripe(
            payoutId: "pay_01", amount: Money(123_45, Currency.named("EUR")!), destination: "acct_1234567890ABCDEF").json))
    }

    @Test func paypalGetsTheAmountInMajorUnitsByTheCurrencysExponent() {
        for (amount, code, value) in [(123_45 as Int64, "USD", "123.45"), (1500, "JPY", "1500"), (1234, "BHD", "1.234"), (5, "EUR", "0.05")] {
            let i = TransferInstruction.paypal(payoutId: "pay_02", amount: Money(amount, Currency.named(code)!), receiver: "p@example.com",
                                               recipientType: "EMAIL")
            let item = i.json["body"]?["items"]?.arrayValue?.first
            #expect(item?["amount"]?["value"] == JSONValue.string(value))
            #expect(item?["amount"]?["currency"] == JSONValue.string(code))
            #expect(item?["sender_item_id"] == "pay_02")
            #expect(i.json["body"]?["sender_batch_header"]?["sender_batch_id"] == "pay_02")
            #expect(i.json["headers"]?["PayPal-Request-Id"] == "portico-pay_02")
        }
    }

    @Test func formEncodingEscapesEverythingButUnreservedBytes() {
        let body = TransferInstruction.formBody([.init("metadata[note]", "a b&c=d/é~"), .init("x", "*-._")])
        #expect(body == "metadata%5Bnote%5D=a+b%26c%3Dd%2F%C3%A9%7E&x=*-._")
    }
}
