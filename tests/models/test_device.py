"""Networks are placed channels-last: same values and outputs, faster convolution layout."""

from __future__ import annotations

import copy
import os

import pytest
import torch

from vaecausal.models.device import choose_device, place_network, use_exact_gpu_kernels
from vaecausal.models.network import GaussianVAE


def test_placed_network_keeps_its_values_and_outputs() -> None:
    torch.manual_seed(0)
    network = GaussianVAE(3, 5)
    placed = place_network(copy.deepcopy(network), torch.device("cpu"))
    after = placed.state_dict()
    for name, before in network.state_dict().items():
        assert torch.equal(before, after[name]), name
    conv = placed.encoder.conv1[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    x = torch.rand(4, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(
            placed.decode(placed.encode(x)[0]), network.decode(network.encode(x)[0])
        )


def test_device_is_the_gpu_when_present() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert choose_device().type == expected


@pytest.fixture
def restored_backend_flags(monkeypatch: pytest.MonkeyPatch):
    """Undo ``use_exact_gpu_kernels``'s process-wide settings after the test."""
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", "unset")  # recorded, so restored afterwards
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG")
    cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    saved = (cudnn.benchmark, cudnn.deterministic, cudnn.conv.fp32_precision, matmul.fp32_precision)
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    yield
    cudnn.benchmark, cudnn.deterministic, cudnn.conv.fp32_precision, matmul.fp32_precision = saved
    torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def test_gpu_kernels_are_set_deterministic_and_full_fp32(restored_backend_flags) -> None:
    use_exact_gpu_kernels()
    cudnn = torch.backends.cudnn
    assert cudnn.deterministic and not cudnn.benchmark
    assert cudnn.conv.fp32_precision == "ieee"  # no TF32 convolutions
    assert torch.backends.cuda.matmul.fp32_precision == "ieee"
    assert torch.are_deterministic_algorithms_enabled()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
