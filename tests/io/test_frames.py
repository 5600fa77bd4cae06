"""Frame records, meta_info and the LMDB / folder frame stores, with their bad-input errors."""
import os
import pickle

import cv2
import numpy as np
import pytest

from frame_helpers import write_lmdb
from vsrkit.errors import DataError
from vsrkit.io.frames import ClipInfo, FolderFrameStore, LMDBFrameStore, decode_frame, \
    encode_frame, frame_key, natural_key, open_frame_store, read_meta_info, split_key, \
    write_meta_info


def test_keys_sort_naturally_and_split_back():
    assert frame_key('calendar', 12) == 'calendar/00000012'
    assert split_key('00001/0001/00000006') == ('00001/0001', 6)
    keys = [frame_key('c', i) for i in (10, 2, 100, 0)]
    assert sorted(keys) == [frame_key('c', i) for i in (0, 2, 10, 100)]
    assert sorted(['im10.png', 'im2.png', 'im1.png'], key=natural_key) == ['im1.png', 'im2.png', 'im10.png']
    # case is ignored (as people read names), names equal but for case keep a fixed order
    assert sorted(['b2.png', 'B10.png', 'a3.png', 'A3.png'], key=natural_key) == \
        ['A3.png', 'a3.png', 'b2.png', 'B10.png']
    with pytest.raises(DataError, match='malformed frame key'):
        split_key('noslash')


def test_png_and_raw_records_round_trip_and_corruption_is_detected():
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    for level in (0, 1, 9, None):
        np.testing.assert_array_equal(decode_frame(encode_frame(img, level), 'k'), img)
    raw = encode_frame(img, None)
    with pytest.raises(DataError, match="clip/00000003: corrupt raw record"):
        decode_frame(raw[:-1], 'clip/00000003')
    png = encode_frame(img, 1)
    with pytest.raises(DataError, match='clip/00000004: corrupt PNG record'):
        decode_frame(png[:40], 'clip/00000004')
    with pytest.raises(DataError, match='neither PNG nor raw'):
        decode_frame(b'garbage!' * 3, 'k')


def test_meta_info_round_trip_and_errors(tmp_path):
    write_meta_info(str(tmp_path), [ClipInfo('b10', 3, (4, 5, 3)), ClipInfo('b2', 7, (8, 9, 3))])
    assert (tmp_path / 'meta_info.txt').read_text() == 'b2 7 (8,9,3)\nb10 3 (4,5,3)\n'
    assert read_meta_info(str(tmp_path))['b10'] == ClipInfo('b10', 3, (4, 5, 3))
    (tmp_path / 'meta_info.txt').write_text('b2 7 8x9\n')
    with pytest.raises(DataError, match=r"meta_info.txt:1: bad line 'b2 7 8x9'"):
        read_meta_info(str(tmp_path))
    os.remove(tmp_path / 'meta_info.txt')
    with pytest.raises(DataError, match='meta_info.txt: missing'):
        read_meta_info(str(tmp_path))


def test_lmdb_store_reads_exact_frames_and_names_the_bad_key(tmp_path, carphone):
    _, frames = carphone
    path = write_lmdb(tmp_path / 'x.lmdb', {'car': frames[:4]},
                      raw_values={'car/00000002': None, 'car/00000003': b'\x89PNG\r\n\x1a\nbroken'})
    store = open_frame_store(path, 'lmdb')
    assert store.clips == {'car': ClipInfo('car', 4, (144, 176, 3))}
    np.testing.assert_array_equal(store.read('car', 1), frames[1])
    with pytest.raises(DataError, match=r"x.lmdb: key 'car/00000002' missing from the LMDB"):
        store.read('car', 2)
    with pytest.raises(DataError, match=r"key 'car/00000003': corrupt PNG record"):
        store.read('car', 3)
    with pytest.raises(DataError, match=r"key 'car/00000004' out of range"):
        store.read('car', 4)
    with pytest.raises(DataError, match="no clip 'nope'"):
        store.read('nope', 0)
    # A second store on the same LMDB in the same process shares the handle (py-lmdb
    # refuses a second open); pickling (spawned workers) carries no handle.
    other = pickle.loads(pickle.dumps(store))
    np.testing.assert_array_equal(other.read('car', 0), frames[0])
    with pytest.raises(DataError, match='not an LMDB'):
        LMDBFrameStore(str(tmp_path))


def test_lmdb_store_rejects_a_frame_of_another_size(tmp_path, carphone):
    _, frames = carphone
    path = write_lmdb(tmp_path / 'y.lmdb', {'car': [frames[0], frames[1][:100]]})
    store = LMDBFrameStore(path)
    with pytest.raises(DataError, match=r"key 'car/00000001' has shape \(100, 176, 3\).*mixed frame sizes"):
        store.read('car', 1)


def test_folder_store_layouts_and_errors(tmp_path, carphone):
    _, frames = carphone
    for clip in ('calendar', 'city'):
        os.makedirs(tmp_path / 'vid4' / clip)
        for i in (0, 1, 2, 10):  # natural order: 10 comes last
            cv2.imwrite(str(tmp_path / 'vid4' / clip / f'{i}.png'), frames[i])
    store = FolderFrameStore(str(tmp_path / 'vid4'))
    assert list(store.clips) == ['calendar', 'city'] and store.clips['city'].num_frames == 4
    np.testing.assert_array_equal(store.read('city', 3), frames[10])
    # A folder that holds frames itself is one clip named after it.
    assert list(FolderFrameStore(str(tmp_path / 'vid4' / 'city')).clips) == ['city']
    cv2.imwrite(str(tmp_path / 'vid4' / 'city' / '11.png'), frames[11][:, :100])
    with pytest.raises(DataError, match=r'file .*city/11.png has shape .*mixed frame sizes'):
        FolderFrameStore(str(tmp_path / 'vid4')).read('city', 4)
    (tmp_path / 'vid4' / 'city' / '12.png').write_bytes(b'not a png')
    with pytest.raises(DataError, match=r'city/12.png: unreadable or corrupt image'):
        FolderFrameStore(str(tmp_path / 'vid4')).read('city', 5)
    os.makedirs(tmp_path / 'empty' / 'clip')
    with pytest.raises(DataError, match='empty: no image frames found'):
        FolderFrameStore(str(tmp_path / 'empty'))
    with pytest.raises(DataError, match='no such frame folder'):
        FolderFrameStore(str(tmp_path / 'missing'))
