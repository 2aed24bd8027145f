// libpq (Debian's libpq-dev): PostgreSQL's own C client, synchronous, for PorticoPostgres.
#include <libpq-fe.h>
