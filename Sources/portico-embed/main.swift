import Foundation

// Writes a Swift file holding texts as string literals, byte for byte: used by the
// EmbedFiles build plugin. Arguments: the output path, then pairs of a group name and a
// file path. Each group becomes a `[String: String]` from file name to text.
//
//   // Generated ... Do not edit.
//   enum EmbeddedFiles {
//       static let rules: [String: String] = ["commission.yaml": "...", ...]
//   }

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 1, arguments.count % 2 == 1 else {
    FileHandle.standardError.write(Data("usage: portico-embed OUTPUT [GROUP FILE]...\n".utf8))
    exit(2)
}

/// A Swift string literal whose value is exactly `text`.
func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

var groups: [String: [(String, String)]] = [:]
var order: [String] = []
var index = 1
while index < arguments.count {
    let group = arguments[index], path = arguments[index + 1]
    index += 2
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        FileHandle.standardError.write(Data("portico-embed: cannot read \(path) as UTF-8\n".utf8))
        exit(1)
    }
    if groups[group] == nil { order.append(group) }
    groups[group, default: []].append((URL(fileURLWithPath: path).lastPathComponent, text))
}

var swift = "// Generated at build time by the EmbedFiles plugin from the package's files. Do not edit.\n"
swift += "enum EmbeddedFiles {\n"
for group in order {
    swift += "    static let \(group): [String: String] = [\n"
    for (name, text) in groups[group]! { swift += "        \(literal(name)): \(literal(text)),\n" }
    swift += "    ]\n"
}
swift += "}\n"
do {
    // Written only when it changes, so an unchanged text does not rebuild the target.
    let output = arguments[0]
    if FileManager.default.contents(atPath: output) != Data(swift.utf8) {
        try Data(swift.utf8).write(to: URL(fileURLWithPath: output))
    }
} catch {
    FileHandle.standardError.write(Data("portico-embed: \(error)\n".utf8))
    exit(1)
}
