/* Poisons C library calls the project bans (unbounded copies, non-reentrant
 * time conversion, unchecked number parsing). The system headers that
 * declare them are included first so their own declarations still compile. */
#ifndef VIGIL_SAFE_H
#define VIGIL_SAFE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__GNUC__) && !defined(VG_NO_POISON)
#pragma GCC poison strcpy sprintf vsprintf strtok atoi atol gmtime localtime strcat gets
#endif
#endif
