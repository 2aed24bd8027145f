import Foundation
import PackagePlugin

/// Builds the package's shipped texts into the target that uses it, from their one source
/// of truth: for the server, `schemas/openrpc.json` (what `rpc.discover` answers) and every
/// `rules/*.yaml` (the defaults an engine runs without a rules directory); for the gateway,
/// `schemas/partner-api.openapi.yaml` (what `GET /openapi.json` answers). The generated Swift lives in
/// the build directory, never in the repository, and is made again whenever one of the
/// files changes; the binary carries the texts, so a host can copy it alone.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let files: [(String, URL)]
        if target.name == "PorticoGateway" {
            files = [("openapi", root.appending(path: "schemas/partner-api.openapi.yaml"))]
        } else {
            let rules = root.appending(path: "rules")
            let yaml = try FileManager.default.contentsOfDirectory(at: rules, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "yaml" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            files = [("openrpc", root.appending(path: "schemas/openrpc.json"))] + yaml.map { ("rules", $0) }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.map { $0.1.lastPathComponent }.joined(separator: ", ")) into \(target.name)",
                executable: try context.tool(named: "portico-embed").url,
                arguments: [output.path] + files.flatMap { [$0.0, $0.1.path] },
                inputFiles: files.map(\.1),
                outputFiles: [output]),
        ]
    }
}
