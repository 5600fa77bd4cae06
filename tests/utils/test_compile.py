"""compile_with_fallback: the compiled function when compiling works, eager execution (and one
warning) when it does not, a genuine error raised as it is; init_model(compile=True)."""
import pytest
import torch

from vsrkit.apis import init_model
from vsrkit.utils.compile import compile_with_fallback


def test_uses_the_compiled_function(monkeypatch):
    calls = []

    def fake_compile(fn, **options):
        def compiled(*args, **kwargs):
            calls.append(options)
            return fn(*args, **kwargs) + 1
        return compiled
    monkeypatch.setattr(torch, 'compile', fake_compile)
    f = compile_with_fallback(lambda x: x * 2, mode='max-autotune')
    assert f(3) == 7 and calls == [dict(mode='max-autotune')]


def test_falls_back_to_eager_once_with_a_warning(monkeypatch):
    def failing_compile(fn, **options):
        def compiled(*args, **kwargs):
            raise RuntimeError('InvalidCxxCompiler: no working C++ compiler found\nmore text')
        return compiled
    monkeypatch.setattr(torch, 'compile', failing_compile)
    seen = []
    f = compile_with_fallback(lambda x: seen.append(x) or x * 2)
    with pytest.warns(UserWarning, match='torch.compile failed .*no working C\\+\\+ compiler.*running eagerly'):
        assert f(3) == 6
    assert f(4) == 8 and seen == [3, 4]  # eager from then on, no second try


def test_a_genuine_error_is_raised_unchanged(monkeypatch):
    monkeypatch.setattr(torch, 'compile', lambda fn, **o: fn)

    def bad(x):
        raise ValueError(f'bad input {x}')
    with pytest.raises(ValueError, match='bad input 1'):
        compile_with_fallback(bad)(1)


def test_init_model_compiles_the_forward(monkeypatch):
    wrapped = []
    import vsrkit.apis.inference as inference

    def fake(fn):
        wrapped.append(fn)
        return fn
    monkeypatch.setattr(inference, 'compile_with_fallback', fake)
    model = init_model('configs/spmc/bicubic_x4_demo.py', None, compile=True)
    assert len(wrapped) == 1 and wrapped[0].__self__ is model
    x = torch.rand(1, model.num_frames, 1, 4, 6)
    assert model(x, mode='tensor').shape == (1, 1, 16, 24)
