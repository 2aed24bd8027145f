#if canImport(Glibc)
import Glibc
#endif
import JSONRPC
import Logging

/// Log lines on stderr in swift-log's `StreamLogHandler` format
/// (`2026-12-02T08:16:50+0000 info portico : k=v [module] message`), the metadata rendered
/// when a line is written. `StreamLogHandler` renders its metadata again each time a value
/// is set, and Hummingbird sets a request id on every request's logger, whatever the level:
/// on the gateway that was ~3% of its time for lines never written.
struct StandardErrorLog: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        let rendered = all.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        var text = "\(Self.timestamp()) \(event.level) \(label) :\(rendered) [\(event.source)] \(event.message)\n"
        // One write a line (a pipe takes up to 4 KiB whole), so lines from threads do not mix.
        _ = text.withUTF8 { FileDescriptorSink.writeAll(2, UnsafeRawBufferPointer($0)) }
    }

    /// The current time in UTC, as `2026-12-02T08:16:50+0000`.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
