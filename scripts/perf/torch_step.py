# The engine's default update step (npm run bench, section 2) as a PyTorch user would write it, for the speed
# ratio `npm run bench` prints: 16 prompts x 8 responses; 16 image patches (8x8x3 of a 32x32 image), 14 context and
# 24 response tokens; d = 64, 3 layers, 4 heads, MLP 4x; a patch MLP 192 -> 256 -> 64 whose tokens attend to each
# other both ways; tied embeddings plus a previous-token embedding; Adam. Full sequences, no prefix sharing (more
# arithmetic than the engine does). Run with Debian's python3-torch: /usr/bin/python3 scripts/perf/torch_step.py
# Prints the BLAS library the process mapped ("blas: <path>"; Debian's torch calls whatever libblas.so.3 the system's
# alternatives select), then one line per thread count: "torch <version> <n>-thread update step: <ms> ms".
# Usage: torch_step.py [--shape mini-1|mini-2] [threads ...]; mini-2 is the deep world's shape (npm run bench's second
# shape): 18 context and 52 response tokens, its vocabulary of 130.
import math
import statistics
import sys
import time

import torch

SHAPES = {'mini-1': (14, 24, 95), 'mini-2': (18, 52, 130)}
ARGS = sys.argv[1:]
SHAPE = 'mini-1'
if ARGS[:1] == ['--shape']:
    SHAPE, ARGS = ARGS[1], ARGS[2:]
PROMPTS, GROUP, IMAGE_TOKENS = 16, 8, 16
CONTEXT, RESPONSE, VOCAB = SHAPES[SHAPE]
D_MODEL, HEADS, LAYERS = 64, 4, 3
BATCH, LENGTH = PROMPTS * GROUP, IMAGE_TOKENS + CONTEXT + RESPONSE


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = torch.nn.LayerNorm(D_MODEL), torch.nn.LayerNorm(D_MODEL)
        self.qkv, self.out = torch.nn.Linear(D_MODEL, 3 * D_MODEL), torch.nn.Linear(D_MODEL, D_MODEL)
        self.up, self.down = torch.nn.Linear(D_MODEL, 4 * D_MODEL), torch.nn.Linear(4 * D_MODEL, D_MODEL)

    def forward(self, x, mask):
        q, k, v = self.qkv(self.norm1(x)).view(BATCH, LENGTH, 3, HEADS, D_MODEL // HEADS).permute(2, 0, 3, 1, 4)
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D_MODEL // HEADS) + mask, -1)
        x = x + self.out((weights @ v).transpose(1, 2).reshape(BATCH, LENGTH, D_MODEL))
        return x + self.down(torch.nn.functional.gelu(self.up(self.norm2(x))))


class Policy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = torch.nn.Embedding(VOCAB, D_MODEL)
        self.previous = torch.nn.Embedding(VOCAB, D_MODEL)
        self.positions = torch.nn.Embedding(LENGTH, D_MODEL)
        self.patches = torch.nn.Sequential(torch.nn.Linear(192, 256), torch.nn.GELU(), torch.nn.Linear(256, D_MODEL))
        self.blocks = torch.nn.ModuleList([Block() for _ in range(LAYERS)])
        self.norm = torch.nn.LayerNorm(D_MODEL)
        mask = torch.triu(torch.full((LENGTH, LENGTH), -1e9), 1)
        mask[:IMAGE_TOKENS, :IMAGE_TOKENS] = 0
        self.register_buffer('mask', mask)

    def forward(self, patches, ids):
        previous = torch.cat([ids[:, :1], ids[:, :-1]], 1)
        x = torch.cat([self.patches(patches), self.tokens(ids) + self.previous(previous)], 1) + self.positions.weight
        for block in self.blocks:
            x = block(x, self.mask)
        return self.norm(x[:, IMAGE_TOKENS + CONTEXT - 1:-1]) @ self.tokens.weight.T


def main():
    torch.manual_seed(0)
    policy = Policy()
    adam = torch.optim.Adam(policy.parameters(), 1e-4)
    patches = torch.rand(BATCH, IMAGE_TOKENS, 192)
    ids = torch.randint(5, VOCAB, (BATCH, CONTEXT + RESPONSE))
    targets = ids[:, CONTEXT:]

    def step():
        logp = torch.log_softmax(policy(patches, ids), -1).gather(2, targets[..., None])[..., 0]
        loss = -logp.mean()
        adam.zero_grad()
        loss.backward()
        adam.step()

    step()
    with open('/proc/self/maps') as maps:
        blas = sorted({line.split()[-1] for line in maps if 'blas' in line.split()[-1].rsplit('/', 1)[-1]})
    print(f"blas: {', '.join(blas) or 'none mapped'}", flush=True)
    for threads in [int(t) for t in (ARGS or ['1', '2'])]:
        torch.set_num_threads(threads)
        for _ in range(3):
            step()
        # the median step over at least 6 s and 7 steps (npm run bench takes its own median the same way)
        start, times = time.time(), []
        while time.time() - start < 6 or len(times) < 7:
            t = time.time()
            step()
            times.append(time.time() - t)
        print(f'torch {torch.__version__} {threads}-thread update step: {statistics.median(times) * 1000:.0f} ms', flush=True)


main()
