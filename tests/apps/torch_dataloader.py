# PyTorch training fed by DataLoader(num_workers=2) (issue 20 item 7): a
# tree of the training process and two workers, new ones every epoch, that
# hand each batch back as shared memory whose fd passes over a UNIX socket
# of multiprocessing's (its listener in a /tmp/pymp-XXXX directory, removed
# when the worker ends). The losses, printed at full precision, must match
# an uninterrupted run to the last digit.
import torch
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
X = torch.randn(2048, 32)
w_true = torch.randn(32, 1)
y = torch.tanh(X @ w_true) + 0.01 * torch.randn(2048, 1)
data = TensorDataset(X, y)
model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
order = torch.Generator()
order.manual_seed(1)
for epoch in range(30):
    loader = DataLoader(data, batch_size=32, shuffle=True, num_workers=2, generator=order)
    for i, (xb, yb) in enumerate(loader):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
        if i % 16 == 0:
            print(epoch, i, repr(loss.item()), flush=True)
print("done")
