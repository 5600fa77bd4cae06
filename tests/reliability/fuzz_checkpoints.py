"""Fuzz driver for the checkpoint loader (run as a subprocess by test_fuzz_checkpoints.py, so a
hard crash shows as a non-zero exit status).

Every case is a file handed to ``vsrkit.utils.checkpoint.load_checkpoint_file``: empty, text,
random bytes, a real training checkpoint truncated at many offsets or with one bit flipped,
zips with a member missing, crafted pickles (mutated, then re-zipped with valid CRCs), pickled
callables, a directory, a missing file and more. Each must end in a one-line
``CheckpointError`` naming the file, or in a successful load (equal to the original where the
case derives from one). The hostile payloads would each leave a marker file if any of their
code ran. Prints one JSON line: counts per outcome, and the findings.

    python tests/reliability/fuzz_checkpoints.py WORK_DIR [fuzz|every-bit] [SEED] [SCALE]

'fuzz' ends with the control: the payloads loaded with weights_only=False, each of which must
leave its marker. 'every-bit' flips each bit of the real checkpoint in turn (minutes). SCALE
multiplies the random cases.
"""
import io
import json
import os
import pathlib
import pickle
import subprocess
import sys
import time
import traceback
import zipfile

import numpy as np
import torch

from vsrkit.utils.checkpoint import CheckpointError, load_checkpoint_file, patch_mmengine

patch_mmengine()  # as every tool does: the toy run's checkpoint is then weights-only loadable

ERROR, LOAD, EITHER = 'error', 'load', 'either'


def real_checkpoint(work: str) -> str:
    """A real mmengine training checkpoint (toy model, Adam state, message hub with
    HistoryBuffers of numpy arrays, RNG states) after 2 iterations."""
    from toy import NoisyToy, make_runner
    torch.manual_seed(0)
    runner = make_runner(os.path.join(work, 'toy_run'), NoisyToy(), 2,
                         dict(rng_state=dict(type='RNGStateHook')))
    runner.train()
    return os.path.join(work, 'toy_run', 'iter_2.pth')


def same(a, b) -> bool:
    """Deep equality of loaded checkpoints (tensors, arrays, HistoryBuffers, containers)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if hasattr(a, '__dict__') and not isinstance(a, type):  # HistoryBuffer
        return same(vars(a), vars(b))
    return a == b or (a != a and b != b)  # NaN == NaN here


def zip_members(path: str) -> dict:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def rezip(members: dict) -> bytes:
    """A zip of ``members`` with correct CRCs (what a crafted, not a damaged, file has)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def torch_bytes(obj, **kwargs) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


class Payload:
    """Pickles as a call of ``func(*args)``: unpickling it runs the call."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def payloads(marker_dir: str):
    """(name, object) pairs: each would create a file in ``marker_dir`` if unpickled."""
    from mmengine.config import Config
    from numpy.testing._private.utils import runstring

    def m(name):
        return os.path.join(marker_dir, name)

    code = "open({!r}, 'w').close()"
    return [
        ('os.system', Payload(os.system, f'touch {m("os_system")}')),
        ('subprocess.call', Payload(subprocess.call, ['touch', m('subprocess_call')])),
        ('subprocess.Popen', Payload(subprocess.Popen, ['touch', m('subprocess_popen')])),
        ('builtins.eval', Payload(eval, code.format(m('eval')))),
        ('builtins.exec', Payload(exec, code.format(m('exec')))),
        ('builtins.open', Payload(open, m('open'), 'w')),
        ('getattr(Path).touch', Payload(pathlib.Path(m('path_touch')).touch)),
        ('numpy runstring', Payload(runstring, code.format(m('np_runstring')), {})),
        ('mmengine Config.fromstring', Payload(Config.fromstring, code.format(m('config')) + '\n', '.py')),
    ]


# Protocol-0 pickles with the INST and OBJ opcodes, which call their class/function directly.
def inst_pickle(marker: str) -> bytes:
    return f"(S'touch {marker}'\nios\nsystem\n.".encode()


def obj_pickle(marker: str) -> bytes:
    return f"(cos\nsystem\nS'touch {marker}'\no.".encode()


def payload_cases(members: dict, pkl: str, marker_dir: str):
    """The hostile payloads in every container: torch.save zip (top level, nested in dicts),
    the legacy format, raw pickles of protocols 0/2/5, the data.pkl of a real checkpoint zip."""
    for name, evil in payloads(marker_dir):
        yield f'{name}: torch.save zip, top level', torch_bytes({'state_dict': {}, 'x': evil}), ERROR, None
        nested = {'meta': {'a': [{'b': (1, {'c': evil})}]}, 'state_dict': {'w': torch.ones(2)}}
        yield f'{name}: torch.save zip, nested in dicts', torch_bytes(nested), ERROR, None
        yield f'{name}: torch.save legacy format', torch_bytes(nested, _use_new_zipfile_serialization=False), \
            ERROR, None
        for proto in (0, 2, 5):
            yield f'{name}: raw pickle protocol {proto}', pickle.dumps(nested, protocol=proto), ERROR, None
        yield f'{name}: as data.pkl of a real zip', rezip({**members, pkl: pickle.dumps(evil, protocol=2)}), \
            ERROR, None
    for name, make in (('INST opcode', inst_pickle), ('OBJ opcode', obj_pickle)):
        marker = os.path.join(marker_dir, name.split()[0])
        yield f'{name}: raw', make(marker), ERROR, None
        yield f'{name}: as data.pkl', rezip({**members, pkl: make(marker)}), ERROR, None


def cases(work: str, real: str, marker_dir: str, seed: int = 0, scale: int = 1):
    """Yield (name, bytes or a path, expected outcome, reference to compare a load with)."""
    ref = load_checkpoint_file(real)
    data = open(real, 'rb').read()
    rng = np.random.default_rng(seed)
    yield 'real checkpoint', real, LOAD, ref
    yield 'real checkpoint, legacy format', torch_bytes(ref, _use_new_zipfile_serialization=False), LOAD, ref
    yield 'empty', b'', ERROR, None
    texts = {'passwd': open('/etc/passwd', 'rb').read() if os.path.exists('/etc/passwd')
             else b'root:x:0:0:root:/root:/bin/bash\n',
             'config .py': b"_base_ = ['../_base_/models/spmc.py']\nmodel = dict(scale=4)\n",
             'json': b'{"state_dict": {"w": [1, 2, 3]}}', 'yaml': b'state_dict:\n  w: [1, 2]\n',
             'html error page': b'<html><body>404 Not Found</body></html>\n',
             'last_checkpoint file': os.path.abspath(real).encode(),
             'one byte': b'\x80', 'pickle protocol only': b'\x80\x02'}
    for name, text in texts.items():
        yield f'text: {name}', text, ERROR, None
    for k in range(40 * scale):
        n = int(rng.choice([1, 7, 64, 1000, len(data)]))
        yield f'random bytes #{k} ({n} B)', rng.integers(0, 256, n).astype(np.uint8).tobytes(), ERROR, None
    yield 'random bytes after a zip magic', b'PK\x03\x04' + rng.integers(0, 256, 4000).astype(np.uint8).tobytes(), \
        ERROR, None
    yield 'gzip of a checkpoint', __import__('gzip').compress(data), ERROR, None
    yield 'png image', bytes.fromhex('89504e470d0a1a0a0000000d49484452') + bytes(64), ERROR, None
    # truncation: every offset in the first 64 bytes and the last 128 (headers, central
    # directory), and 200 spread over the rest
    offsets = set(range(64)) | set(range(len(data) - 128, len(data))) | \
        set(np.linspace(64, len(data) - 128, 200).astype(int).tolist())
    for off in sorted(offsets):
        yield f'truncated at {off}/{len(data)}', data[:off], EITHER, ref
    for k in range(500 * scale):  # one bit flipped, anywhere
        flipped = bytearray(data)
        i, bit = int(rng.integers(len(data))), int(rng.integers(8))
        flipped[i] ^= 1 << bit
        yield f'bit {bit} of byte {i} flipped', bytes(flipped), EITHER, ref
    members = zip_members(real)
    for name in members:
        yield f'zip without {name.split("/", 1)[1]}', rezip({k: v for k, v in members.items() if k != name}), \
            EITHER, ref
    yield 'zip of other files', rezip({'a/readme.txt': b'hello', 'a/img.png': bytes(100)}), ERROR, None
    pkl = next(k for k in members if k.endswith('/data.pkl'))
    for k in range(200 * scale):  # crafted: the pickle mutated, the zip rebuilt with valid CRCs
        b = bytearray(members[pkl])
        op = k % 4
        if op == 0:
            for i in rng.integers(0, len(b), rng.integers(1, 6)):
                b[i] = int(rng.integers(256))
        elif op == 1:
            b = b[:int(rng.integers(len(b)))]
        elif op == 2:
            i = int(rng.integers(len(b)))
            b[i:i] = rng.integers(0, 256, int(rng.integers(1, 16))).astype(np.uint8).tobytes()
        else:
            i, j = sorted(int(x) for x in rng.integers(0, len(b), 2))
            b[i:j] = b[i:j][::-1]
        yield f'crafted pickle #{k}', rezip({**members, pkl: bytes(b)}), EITHER, None
    yield from payload_cases(members, pkl, marker_dir)
    scripted = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), scripted)
    yield 'TorchScript archive', scripted.getvalue(), ERROR, None
    yield 'a tensor, not a dict', torch_bytes(torch.ones(3)), ERROR, None
    yield 'a list, not a dict', torch_bytes([1, 2, 3]), ERROR, None
    # paths that are not checkpoint files
    os.makedirs(os.path.join(work, 'a_directory.pth'), exist_ok=True)
    yield 'a directory', os.path.join(work, 'a_directory.pth'), ERROR, None
    yield 'a missing file', os.path.join(work, 'missing.pth'), ERROR, None
    yield 'a char device', '/dev/null', ERROR, None
    fifo = os.path.join(work, 'fifo.pth')
    os.mkfifo(fifo)
    yield 'a FIFO (reading would block)', fifo, ERROR, None
    os.symlink('loop_b.pth', os.path.join(work, 'loop_a.pth'))
    os.symlink('loop_a.pth', os.path.join(work, 'loop_b.pth'))
    yield 'a symlink loop', os.path.join(work, 'loop_a.pth'), ERROR, None


def control(work: str, members: dict, pkl: str, marker_dir: str) -> dict:
    """The payloads through torch.load(weights_only=False): each must leave its marker, or
    the markers could not show that the safe loader ran nothing."""
    executed = total = 0
    for name, content, _, _ in payload_cases(members, pkl, marker_dir):
        path = os.path.join(work, 'payload.pth')
        with open(path, 'wb') as f:
            f.write(content)
        total += 1
        try:
            torch.load(path, weights_only=False)
        except Exception:  # noqa: BLE001 - a payload's return value may upset the loader
            pass
        for _ in range(300):  # subprocess.Popen runs touch in the background
            if os.listdir(marker_dir):
                break
            time.sleep(0.01)
        executed += bool(os.listdir(marker_dir))
        for m in os.listdir(marker_dir):
            os.remove(os.path.join(marker_dir, m))
    return dict(payload_cases=total, executed=executed)


def every_bit(work: str, real: str) -> None:
    """Flip every bit of the real checkpoint, one at a time (8 x its size loads, minutes)."""
    ref, data = load_checkpoint_file(real), open(real, 'rb').read()
    counts = dict(flips=0, error=0, load_equal=0, load_different=0, crashes=0)
    path = os.path.join(work, 'flipped.pth')
    for i in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[i] ^= 1 << bit
            with open(path, 'wb') as f:
                f.write(flipped)
            counts['flips'] += 1
            try:
                ckpt = load_checkpoint_file(path)
            except CheckpointError:
                counts['error'] += 1
            except BaseException:  # noqa: BLE001
                counts['crashes'] += 1
            else:
                counts['load_equal' if same(ckpt, ref) else 'load_different'] += 1
    print(json.dumps(counts))


def main(work: str, mode: str = 'fuzz', seed: str = '0', scale: str = '1') -> None:
    marker_dir = os.path.join(work, 'markers')
    os.makedirs(marker_dir)
    real = real_checkpoint(work)
    if mode == 'every-bit':
        return every_bit(work, real)
    counts = dict(cases=0, error=0, load=0, unexpected=0, crashes=0)
    findings, messages = [], {}
    for k, (name, content, expected, ref) in enumerate(cases(work, real, marker_dir, int(seed), int(scale))):
        if isinstance(content, bytes):
            path = os.path.join(work, f'case_{k:04d}.pth')
            with open(path, 'wb') as f:
                f.write(content)
        else:
            path = content
        counts['cases'] += 1
        try:
            ckpt = load_checkpoint_file(path)
        except CheckpointError as err:
            msg = str(err)
            if '\n' in msg or not msg.startswith(f'{path}: '):
                counts['crashes'] += 1
                findings.append(f'{name}: error not one line naming the file: {msg!r}')
            counts['error'] += 1
            messages.setdefault(msg[len(path) + 2:].split(' (')[0], name)
            if expected == LOAD:
                counts['unexpected'] += 1
                findings.append(f'{name}: should load, got {msg}')
        except BaseException:  # noqa: BLE001 - anything else is a crash
            counts['crashes'] += 1
            findings.append(f'{name}: {traceback.format_exc(limit=4)}')
        else:
            counts['load'] += 1
            if expected == ERROR or (ref is not None and not same(ckpt, ref)):
                counts['unexpected'] += 1
                findings.append(f'{name}: loaded' + (' but differs from the original' if ref is not None else ''))
        if isinstance(content, bytes):
            os.remove(path)
    time.sleep(1)  # a background touch started by a payload would be done by now
    counts['code_executed'] = len(os.listdir(marker_dir))
    markers = sorted(os.listdir(marker_dir))
    members = zip_members(real)
    unsafe = control(work, members, next(k for k in members if k.endswith('/data.pkl')), marker_dir)
    print(json.dumps(dict(counts, findings=findings[:10], n_findings=len(findings), markers=markers,
                          messages=messages, control=unsafe)))


if __name__ == '__main__':
    main(*sys.argv[1:])
