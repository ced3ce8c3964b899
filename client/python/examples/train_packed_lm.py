"""Trains a tiny causal language model on CPU from a packed, tokenized cache.

    flightcache load corpus/ --name pretrain --tokenize text --tokenizer tokenizer.json --max-length 128 --pack
    python train_packed_lm.py grpc://127.0.0.1:8815 pretrain [STEPS]

`input_ids` arrive as (batch, L) int32 tensors sharing the Arrow buffers; `position_ids` (each id's
position in its document, 0 where one starts) gives the position embeddings and a block-diagonal
causal mask, so no token attends across a document boundary.
"""

import sys

import torch

from flightcache.torch import FlightCacheDataset


class TinyCausalLM(torch.nn.Module):
    """Token and position embeddings, one causal self-attention block, and a vocabulary head."""

    def __init__(self, vocab, length, width=32, heads=2):
        super().__init__()
        self.tokens = torch.nn.Embedding(vocab, width)
        self.positions = torch.nn.Embedding(length, width)
        self.block = torch.nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width, batch_first=True, dropout=0.0)
        self.head = torch.nn.Linear(width, vocab)
        self.heads = heads

    def forward(self, input_ids, position_ids):
        # A document longer than the table shares its last position embedding past it.
        x = self.tokens(input_ids) + self.positions(position_ids.clamp(max=self.positions.num_embeddings - 1))
        # Token i sees token j when j <= i and both lie in the same document.
        document = torch.cumsum(position_ids == 0, dim=1)
        length = input_ids.shape[1]
        causal = torch.ones(length, length, dtype=torch.bool).tril()
        allowed = (document.unsqueeze(2) == document.unsqueeze(1)) & causal
        mask = ~allowed.repeat_interleave(self.heads, dim=0)
        return self.head(self.block(x, src_mask=mask))


def train(endpoint, dataset, steps=30, batch_size=4, vocab=None, seed=0):
    """Runs `steps` optimizer steps over the packed dataset; returns each step's loss."""
    torch.manual_seed(seed)
    data = FlightCacheDataset(endpoint, dataset, batch_size=batch_size, columns=["input_ids", "position_ids"], shuffle=True, seed=seed, drop_last=True)
    model = None
    optimizer = None
    losses = []
    while len(losses) < steps:
        for batch in data:
            input_ids = batch["input_ids"].long()
            position_ids = batch["position_ids"].long()
            if model is None:
                model = TinyCausalLM(vocab or 50257, input_ids.shape[1])
                optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
            logits = model(input_ids[:, :-1], position_ids[:, :-1])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), input_ids[:, 1:].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return losses


if __name__ == "__main__":
    losses = train(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 30)
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f} in {len(losses)} steps")
