"""keep_freed_memory: blocks that glibc would hand back to the OS and fault in again are kept
(counted in a fresh process: the setting is process-wide)."""
import subprocess
import sys

import pytest

SCRIPT = r'''
import ctypes, resource, sys
from vsrkit.cli import keep_freed_memory
if sys.argv[1] == 'keep':
    keep_freed_memory()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def cycle():
    # blocks of varied sizes alive together, written, freed: as a network's activations are
    blocks = []
    for mb in (3, 7, 12, 5, 20, 9):
        blocks.append(libc.malloc(mb << 20))
        ctypes.memset(blocks[-1], 1, mb << 20)
    for p in blocks:
        libc.free(p)
cycle()
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    cycle()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
'''


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='glibc malloc')
def test_freed_blocks_are_reused_without_page_faults():
    faults = {mode: int(subprocess.run([sys.executable, '-c', SCRIPT, mode], check=True,
                                       capture_output=True, text=True).stdout)
              for mode in ('default', 'keep')}
    pages = 5 * (3 + 7 + 12 + 5 + 20 + 9) * 256  # 4 KiB pages written after the first cycle
    assert faults['default'] > pages // 4, faults  # glibc unmapped and faulted them in again
    assert faults['keep'] < pages // 100, faults
