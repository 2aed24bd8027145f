// libxlsxwriter (Debian's libxlsxwriter-dev), as PorticoExport's XLSX writer uses it.
#include <xlsxwriter.h>
