"""Crash-safe LMDB writing: a temporary ``<name>.lmdb.partial`` folder that is renamed to
``<name>.lmdb`` only when complete, resumable at commit granularity.

Progress (``progress.jsonl`` in the partial folder) is appended *after* each LMDB commit,
so whatever it records is in the database; frames committed but not yet recorded are
simply written again on resume (same keys, same bytes). A partial folder made with other
settings (``job.json`` fingerprint) is discarded, never resumed.
"""
from __future__ import annotations

import json
import os
import shutil

import lmdb

from vsrkit.errors import DataError
from vsrkit.io.frames import ClipInfo, write_meta_info

PREP_INFO = 'prep_info.json'
_JOB = 'job.json'
_PROGRESS = 'progress.jsonl'


def final_state(path: str, fingerprint: str) -> str:
    """'absent', 'complete' (same settings) or 'different' (exists, other settings/unknown)."""
    if not os.path.exists(path):
        return 'absent'
    try:
        with open(os.path.join(path, PREP_INFO), encoding='utf-8') as f:
            info = json.load(f)
    except (OSError, ValueError):
        return 'different'
    return 'complete' if info.get('fingerprint') == fingerprint else 'different'


class PartialLMDB:
    """One output LMDB being written under ``<path>.partial``.

    Args:
        path: final LMDB folder (``.../train_GT.lmdb``).
        fingerprint: hash of everything the content depends on.
        map_size: initial map size in bytes (grown by doubling if it fills up).
        restart: discard a resumable partial folder instead of resuming it.
    """

    def __init__(self, path: str, fingerprint: str, map_size: int, restart: bool = False):
        self.path = os.path.abspath(path)
        self.partial = self.path + '.partial'
        self.fingerprint = fingerprint
        self.progress: dict[str, dict] = {}
        self.resumed = False
        if os.path.isdir(self.partial):
            if not restart and self._job_matches():
                self._load_progress()
                self.resumed = bool(self.progress)
            else:
                shutil.rmtree(self.partial)
        if not os.path.isdir(self.partial):
            os.makedirs(self.partial)
            _write_json(os.path.join(self.partial, _JOB), dict(fingerprint=fingerprint))
        self.env = lmdb.open(self.partial, map_size=max(int(map_size), 1 << 24), subdir=True,
                             meminit=False, sync=True)
        self._pending: list[tuple[bytes, bytes]] = []

    def _job_matches(self) -> bool:
        try:
            with open(os.path.join(self.partial, _JOB), encoding='utf-8') as f:
                return json.load(f).get('fingerprint') == self.fingerprint
        except (OSError, ValueError):
            return False

    def _load_progress(self) -> None:
        path = os.path.join(self.partial, _PROGRESS)
        if not os.path.isfile(path):
            return
        with open(path, encoding='utf-8') as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:  # a line cut by the interruption
                    continue
                self.progress[rec['clip']] = rec

    def done_frames(self, clip: str) -> int:
        """Frames of ``clip`` already committed by an earlier run."""
        rec = self.progress.get(clip)
        return rec['done'] if rec else 0

    def put(self, key: str, value: bytes) -> None:
        self._pending.append((key.encode('ascii'), value))

    def commit(self, records: list[dict]) -> None:
        """Write the pending frames in one transaction, then record ``records`` (progress
        of the clips they belong to: clip, done, shape, complete, ...)."""
        try:
            while True:
                try:
                    with self.env.begin(write=True) as txn:
                        for k, v in self._pending:
                            txn.put(k, v)
                    break
                except lmdb.MapFullError:
                    # The estimate was short (e.g. a video's frame count was wrong): grow and redo.
                    self.env.set_mapsize(self.env.info()['map_size'] * 2)
            self._pending.clear()
            with open(os.path.join(self.partial, _PROGRESS), 'a', encoding='utf-8') as f:
                for rec in records:
                    self.progress[rec['clip']] = rec
                    f.write(json.dumps(rec) + '\n')
                f.flush()
                os.fsync(f.fileno())
        except (lmdb.Error, OSError) as err:
            # Disk full, quota, file-size limit: LMDB keeps its last committed state and the
            # progress file its complete lines, so the same command resumes once there is room.
            raise DataError(f'{self.partial}: write failed ({type(err).__name__}: {err}); free some '
                            'space and re-run the same command to resume') from None

    def finish(self, prep_info: dict, overwrite: bool) -> None:
        """Write ``meta_info.txt`` and ``prep_info.json`` and move the LMDB to its final name.

        With ``overwrite`` an existing final LMDB is replaced only after the new one is
        complete (moved aside, the new one renamed in, the old one deleted)."""
        clips = [ClipInfo(r['clip'], r['done'], tuple(r['shape'])) for r in self.progress.values()]
        incomplete = [r['clip'] for r in self.progress.values() if not r.get('complete')]
        if incomplete or not clips:
            raise DataError(f'{self.partial}: cannot finish, clips incomplete: {incomplete[:5]}')
        try:
            self.env.sync(True)
            self.env.close()
            write_meta_info(self.partial, clips)
            _write_json(os.path.join(self.partial, PREP_INFO), dict(prep_info, fingerprint=self.fingerprint))
        except (lmdb.Error, OSError) as err:  # job.json/progress still there: a re-run finishes
            raise DataError(f'{self.partial}: write failed ({type(err).__name__}: {err}); free some '
                            'space and re-run the same command to resume') from None
        for name in (_JOB, _PROGRESS):
            if os.path.exists(os.path.join(self.partial, name)):
                os.remove(os.path.join(self.partial, name))
        old = None
        if os.path.exists(self.path):
            if not overwrite:
                raise DataError(f'{self.path}: exists; pass --overwrite to replace it')
            old = f'{self.path}.old-{os.getpid()}'
            os.rename(self.path, old)
        os.rename(self.partial, self.path)
        _fsync_dir(os.path.dirname(self.path))
        if old:
            shutil.rmtree(old)

    def abort(self) -> None:
        """Close after an error; the partial folder stays for a resume."""
        try:
            self.env.close()
        except lmdb.Error:
            pass


def _write_json(path: str, obj: dict) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: str) -> None:
    fd = os.open(path or '.', os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
