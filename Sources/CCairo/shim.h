// cairo (Debian's libcairo2-dev) with its PDF surface, as PorticoExport's PDF writer uses it.
#include <cairo.h>
#include <cairo-pdf.h>
