// zlib (Debian's zlib1g-dev): raw deflate with a preset dictionary, for the audit log's
// stored states (PorticoStore's AuditBody).
#include <zlib.h>
