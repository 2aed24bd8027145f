import Dispatch
import PorticoRules

/// An export's two halves on two threads: the store's rows read a page at a time on the
/// job's thread (SQLite stepping them is about half an export's work), each page's cells
/// recorded as they come (`RecordedPage`), and the pages written into the report's rows
/// (totals, then the file's writer) on a thread of its own, in order, while the next page
/// is read. Two pages are in play: one being read, one being written.
///
/// A failure on the writing thread (a file that cannot be written) stops it; the reading
/// thread sees it at its next page (`check`) or at the end (`drain`). The rows' writer is
/// touched by one thread at a time: the writing thread until `drain` or `stop` has waited
/// for it.
final class ExportPipe: @unchecked Sendable {
    private let out: any ExportRows
    private let queue = DispatchQueue(label: "portico-export-rows")
    private let group = DispatchGroup()
    /// The pages free to be read into; at most two pages exist.
    private let free = DispatchSemaphore(value: 2)
    private var pages: [RecordedPage] = [RecordedPage(), RecordedPage()]
    private let lock = DispatchSemaphore(value: 1)
    private var failure: (any Error)?

    init(into out: any ExportRows) { self.out = out }

    /// A page to record the next step's rows into (waits while both are being written).
    func page() -> RecordedPage {
        free.wait()
        lock.wait()
        defer { lock.signal() }
        let page = pages.removeLast()
        page.reset()
        return page
    }

    /// Hands a recorded page to the writing thread, which writes it after those before it.
    func submit(_ page: RecordedPage) {
        queue.async(group: group) {
            if self.failed == nil {
                do { try page.replay(into: self.out) } catch { self.fail(error) }
            }
            self.lock.wait()
            self.pages.append(page)
            self.lock.signal()
            self.free.signal()
        }
    }

    /// Throws what stopped the writing thread, if anything did.
    func check() throws {
        if let failed { throw failed }
    }

    /// Every page handed over written, or what stopped the writing.
    func drain() throws {
        group.wait()
        try check()
    }

    /// Waits for the writing thread, whatever became of it (the export failed or was
    /// cancelled on the reading side).
    func stop() { group.wait() }

    private var failed: (any Error)? {
        lock.wait()
        defer { lock.signal() }
        return failure
    }

    private func fail(_ error: any Error) {
        lock.wait()
        if failure == nil { failure = error }
        lock.signal()
    }
}

/// A page of a report's cells as the store wrote them, kept compactly to be written
/// elsewhere: a tag byte a cell, then its value (text and instants as their length and
/// bytes, numbers as 8 bytes, money with its currency's index in `currencies`), in a
/// buffer of its own (recording runs on the reading thread, which bounds the export).
/// Touched by one thread at a time: `ExportPipe` hands it over.
final class RecordedPage: ExportRows, @unchecked Sendable {
    @exclusivity(unchecked) private var base = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 8)
    @exclusivity(unchecked) private var capacity = 1 << 16
    @exclusivity(unchecked) private var count = 0
    @exclusivity(unchecked) private var currencies: [Currency] = []

    private enum Tag: UInt8 { case text = 1, integer, money, time, timeText, empty, endRow }

    deinit { base.deallocate() }

    func reset() {
        count = 0
        currencies.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        var grown = capacity * 2
        while count + n > grown { grown *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
        bigger.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = bigger
        capacity = grown
    }

    @inline(__always)
    private func put(_ tag: Tag, _ n: Int64) {
        reserve(9)
        base.storeBytes(of: tag.rawValue, toByteOffset: count, as: UInt8.self)
        base.storeBytes(of: n.littleEndian, toByteOffset: count + 1, as: Int64.self)
        count += 9
    }

    /// A second word for the cell before (a money cell's currency).
    @inline(__always)
    private func put(_ n: Int64) {
        reserve(8)
        base.storeBytes(of: n.littleEndian, toByteOffset: count, as: Int64.self)
        count += 8
    }

    @inline(__always)
    private func put(_ tag: Tag, bytes utf8: UnsafeBufferPointer<UInt8>) {
        put(tag, Int64(utf8.count))
        reserve(utf8.count)
        if let from = utf8.baseAddress { (base + count).copyMemory(from: from, byteCount: utf8.count) }
        count += utf8.count
    }

    func text(_ utf8: UnsafeBufferPointer<UInt8>) throws { put(.text, bytes: utf8) }

    func integer(_ n: Int64) throws { put(.integer, n) }

    func money(_ amount: Int64, _ currency: Currency) throws {
        put(.money, amount)
        let index = currencies.lastIndex(of: currency) ?? {
            currencies.append(currency)
            return currencies.count - 1
        }()
        put(Int64(index))
    }

    func time(_ t: Timestamp) throws { put(.time, t.millisecondsSinceEpoch) }

    /// Parsed on the writing thread.
    func time(rfc3339 utf8: UnsafeBufferPointer<UInt8>) throws { put(.timeText, bytes: utf8) }

    func empty() throws { put(.empty, 0) }

    func endRow() throws { put(.endRow, 0) }

    /// Writes the page's cells into `out`, in the order they were recorded.
    func replay(into out: any ExportRows) throws {
        let base = UnsafeRawPointer(self.base), end = count
        var i = 0
        while i < end {
            let tag = Tag(rawValue: base.load(fromByteOffset: i, as: UInt8.self))!
            let n = Int64(littleEndian: base.loadUnaligned(fromByteOffset: i + 1, as: Int64.self))
            i += 9
            switch tag {
            case .text, .timeText:
                let bytes = UnsafeBufferPointer(start: (base + i).assumingMemoryBound(to: UInt8.self), count: Int(n))
                i += Int(n)
                if tag == .text { try out.text(bytes) } else { try out.time(rfc3339: bytes) }
            case .integer: try out.integer(n)
            case .money:
                let index = Int(Int64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: Int64.self)))
                i += 8
                try out.money(n, currencies[index])
            case .time: try out.time(Timestamp(millisecondsSinceEpoch: n))
            case .empty: try out.empty()
            case .endRow: try out.endRow()
            }
        }
    }
}
