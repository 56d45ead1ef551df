/* Stand-in for libbfio.h (libbfio-dev), which libevtx.h includes for the
 * libbfio_handle_t of libevtx_file_open_file_io_handle. Vigil does not call
 * that function; the type matches libbfio's own definition. Used only when
 * the real header is absent (see CMakeLists.txt). */
#ifndef VG_COMPAT_LIBBFIO_H
#define VG_COMPAT_LIBBFIO_H
#include <stdint.h>
typedef intptr_t libbfio_handle_t;
#endif
