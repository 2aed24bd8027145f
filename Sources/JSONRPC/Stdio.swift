import Foundation

/// Process-level set-up for serving on the standard streams.
public enum StandardStreams {
    /// Moves the protocol output to a private duplicate of stdout and points fd 1 at
    /// stderr, so a stray `print` anywhere in the process cannot corrupt the protocol.
    /// Answers the descriptor to write answers to.
    public static func protectStdout() -> Int32 {
        let protocolOut = dup(STDOUT_FILENO)
        if protocolOut >= 0 {
            dup2(STDERR_FILENO, STDOUT_FILENO)
            return protocolOut
        }
        return STDOUT_FILENO
    }

    /// A closed reader must not kill the process; writes then fail with EPIPE instead.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}
