"""Learning-rate schedules, as torch.optim.lr_scheduler: each step() sets every group["lr"].

Call scheduler.step() once per epoch, after optimizer.step(). The formulas are torch's own
recurrences (each lr computed from the previous one), so the values agree to the last bit.
"""
import math
import types
from collections import Counter

from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "LambdaLR", "LinearLR",
           "CosineAnnealingLR"]


class LRScheduler:
    """Base: keeps base_lrs (each group's "initial_lr") and last_epoch; subclasses give get_lr."""

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an "
                            "Optimizer; pass e.g. optim.SGD(model.parameters(), lr=0.1)")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: last_epoch={last_epoch} resumes a "
                               f"schedule but param_groups[{i}] has no 'initial_lr'; load the "
                               "optimizer's state_dict first, or use last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch, self._step_count = last_epoch, 0
        self.step()                                     # epoch 0: the starting rates

    def get_lr(self):
        """The learning rate of each group at last_epoch (subclasses define it)."""
        raise NotImplementedError

    def step(self):
        """Move to the next epoch and set each group's lr."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates the last step() set, one per group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (save the optimizer's own state_dict beside it)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Resume from state_dict(): the epoch count, base rates and settings."""
        vars(self).update(state_dict)

    def _lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size): multiply by gamma every step_size epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones passed): multiply by gamma at each epoch
    listed in milestones (a repeated milestone multiplies that many times, as torch)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._lrs()]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch: multiply by gamma every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._step_count == 1:                       # the first rates: as given, or resumed
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch): any schedule as a function of the epoch (one function,
    or one per parameter group), e.g. warm-up with lambda e: min(1, (e + 1) / 5)."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per parameter "
                                 f"group), but got {len(lr_lambda)}; pass one function for all")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        for i, fn in enumerate(self.lr_lambdas):
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda {i} is a {type(fn).__name__}, not a "
                                "function of the epoch; e.g. lambda epoch: 0.95 ** epoch")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """As torch: plain functions are not saved (None in their place); the attributes of a
        callable object are."""
        state = {k: v for k, v in vars(self).items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(vars(fn))
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        """Resume from state_dict(); the functions stay this scheduler's own."""
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        vars(self).update(state)
        for fn, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                vars(fn).update(attrs)


class LinearLR(LRScheduler):
    """lr = base_lr * factor, the factor going linearly from start_factor to end_factor over
    total_iters epochs, then staying (a warm-up when start_factor < end_factor)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor={start_factor}; the starting factor must "
                             "be in (0, 1], as torch")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor={end_factor}; the ending factor must be in "
                             "[0, 1], as torch")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            return [lr * start for lr in self._lrs()]
        if self._step_count == 1 or t > self.total_iters:
            return self._lrs()
        return [lr * (1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start)))
                for lr in self._lrs()]

class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2: a half cosine
    from base_lr down to eta_min over T_max epochs (then back up, as torch)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, lo, base = self.last_epoch, self.eta_min, self.base_lrs
        if self._step_count == 1:                       # the first rates: as given, or resumed
            return self._lrs() if t == 0 else \
                [lo + (b - lo) * (1 + math.cos(t * math.pi / self.T_max)) / 2 for b in base]
        if (t - 1 - self.T_max) % (2 * self.T_max) == 0:
            return [lr + (b - lo) * (1 - math.cos(math.pi / self.T_max)) / 2
                    for lr, b in zip(self._lrs(), base)]
        return [(1 + math.cos(math.pi * t / self.T_max))
                / (1 + math.cos(math.pi * (t - 1) / self.T_max)) * (lr - lo) + lo
                for lr in self._lrs()]
