# A small PyTorch model trained on CPU with a fixed seed (suite 'apps'):
# the loss printed after a restore must match an uninterrupted run to the
# last digit. Uses PyTorch's default intra-op threads unless OMP_NUM_THREADS
# says otherwise.
import torch

torch.manual_seed(0)
X = torch.randn(512, 32)
w_true = torch.randn(32, 1)
y = torch.tanh(X @ w_true) + 0.01 * torch.randn(512, 1)
model = torch.nn.Sequential(
    torch.nn.Linear(32, 64), torch.nn.ReLU(),
    torch.nn.Linear(64, 64), torch.nn.ReLU(),
    torch.nn.Linear(64, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
steps = 3000
for step in range(steps):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(X), y)
    loss.backward()
    opt.step()
    if step % 100 == 0 or step == steps - 1:
        print(step, repr(loss.item()), flush=True)
print("intra-op threads", torch.get_num_threads())
