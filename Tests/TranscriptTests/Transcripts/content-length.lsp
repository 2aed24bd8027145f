Content-Length: 178
Content-Type: application/vscode-jsonrpc; charset=utf-8

{"jsonrpc":"2.0","id":1,"method":"partner.create","params":{"actor":{"platform":"ops"},"name":"LSP","subdomain":"lsp","region":"eu","owner":{"email":"l@lsp.example","name":"L"}}}Content-Length: 76

{"jsonrpc":"2.0","id":2,"method":"partner.list","params":{"actor":{"platform":"ops"}}}Content-Length: 114

{"jsonrpc":"2.0","id":3,"method":"partner.getBySubdomain","params":{"actor":{"platform":"ops"},"subdomain":"lsp"}}Content-Length: x1

{}Content-Length: 86

{"jsonrpc":"2.0","id":2,"method":"partner.list","params":{"actor":{"platform":"ops"}}}Content-Length: 500

{"jsonrpc":"2.0","id":3,"method":"partner.getBySubdomain","params":{"actor":{"platform":"ops"},"subdomain":"lsp"}}