import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Storefront pages served again for a moment (a micro-cache, `--page-cache-ms`, 1,000 by
/// default): a storefront is public and read far more often than a brand changes, so a
/// page is rendered — two engine calls and a template — at most once a moment per host,
/// query and visitor languages, and a change shows at most that late. Only pages are kept
/// (200, 404, 410), never an error; at most `capacity` of them, the expired ones dropped
/// first when it is reached.
final class PageCache: Sendable {
    struct Key: Hashable, Sendable {
        var host: String
        var query: String
        var languages: String
    }

    struct Page: Sendable {
        let status: HTTPResponse.Status
        let body: ByteBuffer
        init(status: HTTPResponse.Status, html: String) {
            self.status = status
            body = ByteBuffer(string: html)
        }

        static let unavailable = Page(status: .serviceUnavailable, html: "")

        var response: Response {
            if status == .serviceUnavailable { return Routes.unavailable }
            return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: body))
        }
    }

    let lifetime: Duration
    let capacity: Int
    private let pages = Mutex<[Key: (page: Page, until: ContinuousClock.Instant)]>([:])

    init(milliseconds: Int, capacity: Int = 10_000) {
        lifetime = .milliseconds(milliseconds)
        self.capacity = capacity
    }

    func lookup(_ key: Key) -> Page? {
        guard lifetime > .zero else { return nil }
        let now = ContinuousClock.now
        return pages.withLock { kept in
            guard let entry = kept[key] else { return nil }
            if entry.until > now { return entry.page }
            kept[key] = nil
            return nil
        }
    }

    func store(_ key: Key, _ page: Page) {
        guard lifetime > .zero else { return }
        let now = ContinuousClock.now
        pages.withLock { kept in
            if kept.count >= capacity {
                kept = kept.filter { $0.value.until > now }
                if kept.count >= capacity { kept.removeAll(keepingCapacity: true) }
            }
            kept[key] = (page, now + lifetime)
        }
    }
}
