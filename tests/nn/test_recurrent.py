import pytest
import torch

from pyrovae.errors import ConfigError
from pyrovae.nn import RecurrentDecoder, RecurrentEncoder, WordDropout
from tests.helpers import COUPLINGS, VOCAB, injections, tiny_batch


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("coupling", COUPLINGS)
def test_decoder_uses_z_and_carries_sample_dimensions(cell, coupling):
    torch.manual_seed(0)
    decoder = RecurrentDecoder(
        VOCAB, 3, embed_dim=8, hidden_dim=12, cell=cell, injections=injections(coupling, 3, 12, cell)
    )
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
    assert torch.allclose(encoder.encode(tokens, lengths), encoder.encode(padded_differently, lengths))
    batch = tiny_batch()
    assert torch.equal(encoder(batch), encoder.encode(batch.targets, batch.lengths))


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


def test_default_injections_are_initial_state_and_concatenation():
    decoder = RecurrentDecoder(VOCAB, 2, embed_dim=8, hidden_dim=12)
    assert [type(i).__name__ for i in decoder.injections] == ["InitialStateInjection", "InputConcatInjection"]
    assert decoder.rnn.input_size == 8 + 2
    assert len(RecurrentDecoder(VOCAB, 2, injections=[]).injections) == 0


def test_unknown_cell_and_bad_latent_size_are_config_errors():
    with pytest.raises(ConfigError, match="lstm"):
        RecurrentEncoder(VOCAB, cell="transformer")
    for bad in (-3, 2.5, True):
        with pytest.raises(ConfigError, match="latent_dim"):
            RecurrentDecoder(VOCAB, bad)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_incremental_state_reproduces_teacher_forcing_and_selects_rows(cell):
    torch.manual_seed(3)
    decoder = RecurrentDecoder(VOCAB, 3, embed_dim=8, hidden_dim=12, cell=cell).eval()
    batch, z = tiny_batch(size=3), torch.randn(3, 3)
    full = decoder(batch.decoder_inputs, z)
    state, steps = decoder.start(z, 3), []
    for t in range(batch.decoder_inputs.shape[1]):
        logits, state = decoder.advance(batch.decoder_inputs[:, t : t + 1], state)
        steps.append(logits)
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)
    rows = torch.tensor([2, 0, 2])
    chosen = decoder.select_state(decoder.start(z, 3), rows)
    logits, _ = decoder.advance(batch.decoder_inputs[rows, :2], chosen)
    assert torch.allclose(logits, full[rows, :2], atol=1e-5)
