/* For Wine 8 only (see scripts/lib/wine.sh): the one export of Windows'
 * bcryptprimitives.dll that Rust's standard library imports, ProcessPrng,
 * answered from RtlGenRandom (advapi32's SystemFunction036), which Wine
 * has. TRUE once the buffer is filled, as on Windows. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk))
      return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
