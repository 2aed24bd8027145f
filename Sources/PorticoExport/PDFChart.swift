import CCairo
import PorticoCore
import PorticoRules

/// A chart in a PDF's frame: its title on top and its legend below it, a value axis on the left whose
/// ticks are round amounts (1, 2 or 5 times a power of ten, in the currency's major units
/// when the step allows, `1,500` rather than `1,500.00`), gridlines, zero as the base of the
/// bars (negative values go below it), and the points' names under them, thinned out to
/// every n-th when they would overlap. A bar chart puts a point's series side by side, a
/// stacked one on each other; a line chart joins each series' points (marked when there
/// are few).
///
/// The amounts are exact integers up to the tick labels; only the positions on the page are
/// in floating point.
extension PDFSink {
    static let palette: [(Double, Double, Double)] = [(0.12, 0.23, 0.54), (0.91, 0.52, 0.12), (0.16, 0.56, 0.38), (0.72, 0.18, 0.25)]

    func chart(_ plot: ExportPlot, x: Double, y: Double, width: Double, height: Double) {
        guard let cr else { return }
        func color(_ i: Int) {
            let c = Self.palette[i % Self.palette.count]
            cairo_set_source_rgb(cr, c.0, c.1, c.2)
        }
        cairo_set_source_rgb(cr, 0.82, 0.85, 0.9)
        cairo_set_line_width(cr, 0.6)
        cairo_rectangle(cr, x + 0.3, y + 0.3, width - 0.6, height - 0.6)
        cairo_stroke(cr)

        // The title, and the legend on the line below it.
        cairo_set_source_rgb(cr, 0.09, 0.13, 0.24)
        setFont(bold: true, size: 9)
        show(plot.title, x: x + 10, y: y + 17, width: width - 20)
        setFont(bold: false, size: 7)
        var lx = x + 10
        for (i, s) in plot.series.enumerated() {
            color(i)
            cairo_rectangle(cr, lx, y + 23, 8, 8)
            cairo_fill(cr)
            cairo_set_source_rgb(cr, 0.2, 0.22, 0.28)
            let name = fit(s.name, max(x + width - 10 - lx - 11, 0))
            show(name, x: lx + 11, y: y + 30)
            lx += 11 + advance(name) + 12
        }

        let (low, high) = plot.extent
        let axis = ChartAxis(low: low, high: high, exponent: plot.exponent)
        setFont(bold: false, size: 6.5)
        let labels = axis.ticks.map(axis.label)
        let labelWidth = labels.map(advance).max() ?? 0
        let left = x + 10 + labelWidth + 6, right = x + width - 10, top = y + 44, bottom = y + height - 22
        func at(_ v: Int128) -> Double { bottom - Double(v - axis.low) / Double(axis.high - axis.low) * (bottom - top) }

        // Gridlines with their amounts, and the zero line darker.
        cairo_set_line_width(cr, 0.4)
        for (tick, label) in zip(axis.ticks, labels) {
            let ty = at(tick)
            cairo_set_source_rgb(cr, 0.88, 0.9, 0.93)
            cairo_move_to(cr, left, ty)
            cairo_line_to(cr, right, ty)
            cairo_stroke(cr)
            cairo_set_source_rgb(cr, 0.35, 0.38, 0.45)
            show(label, x: left - 4 - advance(label), y: ty + 2.3)
        }
        cairo_set_source_rgb(cr, 0.35, 0.38, 0.45)
        cairo_set_line_width(cr, 0.8)
        cairo_move_to(cr, left, at(0))
        cairo_line_to(cr, right, at(0))
        cairo_stroke(cr)

        let n = plot.categories.count
        guard n > 0 else { return }
        let slot = (right - left) / Double(n)
        switch plot.chart.style {
        case .stackedBar:
            // A point's bars on each other: the positive ones up from zero, the negative down.
            let bar = min(slot * 0.8, 36), inset = (slot - bar) / 2
            var up = [Int128](repeating: 0, count: n), down = up
            for (j, s) in plot.series.enumerated() {
                color(j)
                for (i, v) in s.values.enumerated() where v != 0 {
                    let base = v > 0 ? up[i] : down[i], end = base + Int128(v)
                    if v > 0 { up[i] = end } else { down[i] = end }
                    let y0 = at(base), y1 = at(end)
                    cairo_rectangle(cr, left + slot * Double(i) + inset, min(y0, y1), max(bar - (bar > 3 ? 0.6 : 0), 0.3), abs(y1 - y0))
                }
                cairo_fill(cr)
            }
        case .bar:
            // A point's bars side by side in the middle of its slot, none wider than 36 points.
            let bar = min(slot * 0.8 / Double(max(plot.series.count, 1)), 36)
            let inset = (slot - bar * Double(plot.series.count)) / 2
            for (j, s) in plot.series.enumerated() {
                color(j)
                for (i, v) in s.values.enumerated() where v != 0 {
                    let x0 = left + slot * Double(i) + inset + bar * Double(j)
                    let y0 = at(0), y1 = at(Int128(v))
                    cairo_rectangle(cr, x0, min(y0, y1), max(bar - (bar > 3 ? 0.6 : 0), 0.3), abs(y1 - y0))
                }
                cairo_fill(cr)
            }
        case .line:
            cairo_set_line_width(cr, 1.2)
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
            for (j, s) in plot.series.enumerated() {
                color(j)
                for (i, v) in s.values.enumerated() {
                    let px = left + slot * (Double(i) + 0.5), py = at(Int128(v))
                    if i == 0 { cairo_move_to(cr, px, py) } else { cairo_line_to(cr, px, py) }
                }
                if n == 1 { cairo_rel_line_to(cr, 0.01, 0) }
                cairo_stroke(cr)
                if n <= 40 {
                    for (i, v) in s.values.enumerated() {
                        cairo_arc(cr, left + slot * (Double(i) + 0.5), at(Int128(v)), 1.6, 0, 2 * Double.pi)
                        cairo_fill(cr)
                    }
                }
            }
        }

        // The points' names, every `every`-th so that none overlaps the next.
        cairo_set_source_rgb(cr, 0.35, 0.38, 0.45)
        let widest = min(plot.categories.map(advance).max() ?? 0, 90)
        let every = max(1, Int(((widest + 6) / slot).rounded(.up)))
        for i in stride(from: 0, to: n, by: every) {
            let name = fit(plot.categories[i], slot * Double(every) - 4)
            show(name, x: left + slot * (Double(i) + 0.5) - advance(name) / 2, y: bottom + 10)
        }
    }
}

extension ExportPlot {
    /// The lowest and highest value drawn, zero included: for stacked bars, the sums of a
    /// point's negative and positive values (in 128 bits, clamped to 64).
    var extent: (low: Int64, high: Int64) {
        var low: Int128 = 0, high: Int128 = 0
        if chart.style == .stackedBar {
            for i in categories.indices {
                var up: Int128 = 0, down: Int128 = 0
                for s in series { if s.values[i] > 0 { up += Int128(s.values[i]) } else { down += Int128(s.values[i]) } }
                high = max(high, up)
                low = min(low, down)
            }
        } else {
            for s in series { for v in s.values { high = max(high, Int128(v)); low = min(low, Int128(v)) } }
        }
        return (Int64(clamping: low), Int64(clamping: high))
    }
}

/// A value axis over the integers `low...high` (minor units): about five steps of a round
/// size, its ends on steps, zero among its ticks.
struct ChartAxis: Equatable {
    let low: Int128, high: Int128, step: Int128
    let exponent: Int

    init(low: Int64, high: Int64, exponent: Int) {
        let span = max(Int128(high) - Int128(low), 1)
        let raw = (span + 4) / 5
        var magnitude: Int128 = 1
        while magnitude * 10 <= raw { magnitude *= 10 }
        let step = [1, 2, 5, 10].map { Int128($0) * magnitude }.first { $0 >= raw }!
        self.step = step
        self.low = Self.floorDiv(Int128(low), step) * step
        let high = -Self.floorDiv(-Int128(high), step) * step
        self.high = high == self.low ? self.low + step : high
        self.exponent = exponent
    }

    var ticks: [Int128] {
        var out: [Int128] = [], t = low
        while t <= high { out.append(t); t += step }
        return out
    }

    /// A tick's amount: in major units without decimals when the step is whole units.
    func label(_ v: Int128) -> String {
        let unit = Int128(ExactDecimal.pow10(exponent))
        return step % unit == 0 ? Money.groupedText(v / unit, exponent: 0) : Money.groupedText(v, exponent: exponent)
    }

    static func floorDiv(_ a: Int128, _ b: Int128) -> Int128 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
