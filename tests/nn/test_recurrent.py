import pytest
import torch

from pyrovae.errors import ConfigError
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder, WordDropout
from tests.helpers import VOCAB, tiny_batch


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("coupling", ["init", "concat", "both"])
def test_decoder_uses_z_and_carries_sample_dimensions(cell, coupling):
    torch.manual_seed(0)
    decoder = RecurrentDecoder(VOCAB, 3, embed_dim=8, hidden_dim=12, cell=cell, coupling=coupling)
    batch = tiny_batch()
    z = torch.randn(5, batch.size, 3)
    logits = decoder(batch.decoder_inputs, z)
    assert logits.shape == (5, batch.size, batch.decoder_inputs.shape[1], VOCAB)
    assert torch.allclose(logits[2], decoder(batch.decoder_inputs, z[2]), atol=1e-6)
    assert not torch.allclose(logits[0], logits[1])  # z matters


def test_encoder_ignores_padding():
    torch.manual_seed(0)
    encoder = RecurrentEncoder(VOCAB, 8, 12, bidirectional=True)
    tokens = torch.tensor([[5, 6, 3, 0, 0]])
    padded_differently = torch.tensor([[5, 6, 3, 7, 9]])
    lengths = torch.tensor([3])
    assert encoder.output_dim == 24
    assert torch.allclose(encoder(tokens, lengths), encoder(padded_differently, lengths))


def test_language_model_decoder_has_no_latent():
    decoder = RecurrentDecoder(VOCAB, 0, embed_dim=8, hidden_dim=12)
    batch = tiny_batch()
    assert len(decoder.injections) == 0
    assert decoder(batch.decoder_inputs).shape[:2] == batch.decoder_inputs.shape
    out = decoder.generate(None, 2, 3, max_length=4, num_sequences=3)
    assert len(out) == 3 and all(len(s) <= 4 for s in out)


def test_generate_matches_teacher_forced_greedy_path():
    torch.manual_seed(1)
    decoder = RecurrentDecoder(VOCAB, 2, embed_dim=8, hidden_dim=12).eval()
    z = torch.randn(2, 2)
    generated = decoder.generate(z, bos_id=2, eos_id=3, max_length=6)
    for row, seq in enumerate(generated):
        inputs = torch.tensor([[2] + seq])
        logits = decoder(inputs, z[row : row + 1])
        greedy_path = logits[0].argmax(-1).tolist()
        assert greedy_path[: len(seq)] == seq


def test_word_dropout_keeps_bos_and_only_acts_in_training():
    torch.manual_seed(0)
    dropout = WordDropout(0.5, unk_id=1)
    inputs = torch.full((50, 10), 7)
    dropped = dropout(inputs)
    assert (dropped[:, 0] == 7).all()
    rate = (dropped[:, 1:] == 1).float().mean()
    assert 0.4 < rate < 0.6
    assert torch.equal(dropout.eval()(inputs), inputs)


def test_unknown_cell_and_coupling_are_config_errors():
    with pytest.raises(ConfigError, match="lstm"):
        RecurrentEncoder(VOCAB, cell="transformer")
    with pytest.raises(ConfigError, match="coupling"):
        RecurrentDecoder(VOCAB, 2, coupling="memory")
