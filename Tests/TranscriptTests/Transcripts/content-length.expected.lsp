Content-Length: 453

{"jsonrpc":"2.0","id":1,"result":{"id":"ptr_01kdvdna001dxj4g4q61","name":"LSP","subdomain":"lsp","region":"eu","tier":"standard","status":"active","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z","owner":{"id":"mem_01kdvdna001dxj4g4q62","partnerId":"ptr_01kdvdna001dxj4g4q61","email":"l@lsp.example","name":"L","role":"owner","status":"active","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"}}}Content-Length: 104

{"jsonrpc":"2.0","id":2,"error":{"code":-32700,"message":"Parse error: unterminated string at byte 76"}}Content-Length: 174

{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: not a header line ('\":\"ops\"}}}Content-Length: 114'); skipped to the next Content-Length header"}}Content-Length: 226

{"jsonrpc":"2.0","id":3,"result":{"id":"ptr_01kdvdna001dxj4g4q61","name":"LSP","subdomain":"lsp","region":"eu","tier":"standard","status":"active","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"}}Content-Length: 106

{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: invalid Content-Length header"}}Content-Length: 256

{"jsonrpc":"2.0","id":2,"result":{"items":[{"id":"ptr_01kdvdna001dxj4g4q61","name":"LSP","subdomain":"lsp","region":"eu","tier":"standard","status":"active","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"}],"nextCursor":null}}Content-Length: 123

{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: truncated message: expected 500 bytes, got 114"}}