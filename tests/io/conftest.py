"""Real clips for the video I/O tests, built with PyAV from the bundled carphone video: H.264
with an AAC tone (the demo videos carry no audio)."""
import pytest
from video_clips import encode_clip


@pytest.fixture(scope='session')
def carphone_frames(carphone_path):
    """30 RGB frames (144 x 176) of the bundled carphone clip, decoded with OpenCV."""
    import cv2
    cap = cv2.VideoCapture(carphone_path)
    frames = [cv2.cvtColor(cap.read()[1], cv2.COLOR_BGR2RGB) for _ in range(30)]
    cap.release()
    return frames


@pytest.fixture(scope='session')
def av_clip(tmp_path_factory, carphone_frames):
    """24 carphone frames as H.264 (with B-frames, a key frame every 8) at 29.97 frames/s plus
    a stereo AAC tone: the input a user brings."""
    path = tmp_path_factory.mktemp('clips') / 'talk.mp4'
    return encode_clip(path, carphone_frames[:24], options={'crf': '20', 'g': '8'}, tone=True)
