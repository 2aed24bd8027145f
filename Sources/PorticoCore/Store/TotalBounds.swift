/// The bounds on the store's running totals (see `Store`): the same on every store, and
/// what a `totalLimit` error names.

/// The daily running totals (`sale_total` and `sale_customer_total` per partner,
/// `sale_volume` per reseller, `commission_rollup`): kept by the store per partner, customer
/// or reseller, currency and UTC day, each bounded by a CHECK constraint at the largest
/// amount the engine keeps and answers, 2^53 minor units. A write that would pass it is
/// undone whole and answered `totalLimit`. The totals over many days are `PeriodTotals`.
public enum RunningTotals {
    /// The bound, in minor units (2^53).
    public static let bound: Int64 = 1 << 53
    /// What the error names.
    public static let what = "a running total (a partner's sales of one kind, a customer's or a reseller's sales, or a partner's commissions, in one currency on one UTC day)"
}

/// The bound on totals over many days (`period_total`, a partner's by calendar month and
/// year, `customer_period_total` a customer's; `commission_status_total`, the platform's
/// by status): 2^62 minor units, so adding one more amount (at most 2^53) can never leave
/// Int64. Each sale and commission is held to the day's bound (RunningTotals) first; this
/// one is reached only by hundreds of such days.
public enum PeriodTotals {
    public static let bound: Int64 = 1 << 62
    public static let what = "a total over many days (a partner's sales or commissions in one currency in a calendar month or year, or the platform's commissions in one currency and status)"
    public static let unit = "minor units (2^62)"
}

/// The bound on a customer's daily usage total per meter: 2^62 of the meter's smallest
/// unit, so adding one more event (at most 2^53) can never leave Int64.
public enum UsageTotals {
    public static let bound: Int64 = 1 << 62
    public static let what = "a customer's usage of one meter on one UTC day"
    public static let unit = "of the meter's smallest unit (2^62)"
}

