"""Reference runner for aiosim task graphs (format `aiosim-graph/1`).

Usage: python3.12 tests/reference/run_graph.py FILE
       python3.12 tests/reference/run_graph.py --batch [--write SUFFIX] [PATH ...]

Runs the scenario described by FILE on CPython 3.12's own asyncio (the stock
C-accelerated Task and Future, gather, wait, wait_for, shield, as_completed,
timeout, TaskGroup and sleep) and writes its canonical trace to stdout.  The
meaning of every op, event and outcome is the one of the public contract,
graph-format.md; section numbers below refer to it.

The event loop is CPython's own `BaseEventLoop` with a virtual clock
(asyncio-semantics.md 2.12): its `_run_once` is untouched, `time()` returns an
integer tick counter, and the selector it polls is a stand-in that jumps the
clock to the next timer instead of sleeping, or reports a deadlock when
CPython would block forever.

CPython iterates over sets of tasks in two places that decide trace order;
both are patched to the orders the contract fixes (4.9), and nowhere else is
asyncio's behaviour touched:

* `TaskGroup` keeps its children in an insertion-ordered set, so an aborting
  group cancels them in spawn order (`SpawnOrderTaskGroup`);
* `as_completed` is CPython's own function, recompiled from its source with
  the one statement that builds its set of inputs replaced by an
  insertion-ordered equivalent (`_as_completed_in_first_occurrence_order`).

The third order, the shutdown of leftover tasks, is the runner's own code
(`ScenarioRun.run`), which follows spawn order directly.

The input is assumed to be a valid graph (the Rust side validates).  The
runner only checks the shape it relies on; the trace is buffered, so a
malformed file or an internal failure prints a message on stderr and no trace
at all (exit status 2 and 1 respectively).

Batch mode (`--batch`) runs many graphs in one interpreter start, which saves
the ~60 ms that each start costs.  Each PATH is a graph file or a directory
(its `*.json` files, sorted by name); with no PATH, or a PATH of `-`, graph
paths are read from stdin, one per line.  Every graph runs in a child process
forked from the batch process once the runner is loaded, so each run starts
from exactly the state a single-file run starts from (fresh loop, fresh
exception classes, no leftover tasks or coroutines of earlier runs that the
garbage collector could finalize mid-run), and a crash or a hang (limit:
`--time-limit` seconds, default 60) affects only that graph.  Output, in input
order, on stdout: for each graph a header line

    #aiosim-batch STATUS LENGTH PATH

followed by exactly LENGTH bytes: the trace (byte for byte what the single-file
mode prints) when STATUS is `ok`, an error message when STATUS is `malformed`
(what single-file mode reports with exit status 2) or `failed` (exit status 1,
a crash or the time limit).  PATH is the path as given, which must not contain
a line break.  With `--write SUFFIX`, each trace is instead written next to its
graph (`NAME.json` -> `NAME` + SUFFIX, e.g. `--write .cpython.jsonl`) and only
the header lines are printed.  The exit status is 0 when every graph ran, 1
otherwise (malformed inputs included).
"""

import asyncio
import asyncio.base_events
import collections.abc
import functools
import inspect
import json
import os
import sys
import traceback
from typing import NamedTuple

# The 22 op keywords of section 2.5.  `timeout` is also a parameter of three
# other ops, so it names the op only when no other keyword is present.
OP_KEYWORDS = frozenset({
    "spawn", "sleep", "await", "gather", "wait", "wait_for", "shield",
    "as_completed", "cancel", "return", "raise", "try", "timeout",
    "taskgroup", "future", "set_result", "set_exception",
    "add_done_callback", "done", "cancelled", "cancelling", "uncancel",
})

# Every exception a scenario can see is one of these: CancelledError is a
# BaseException, everything else (scenario classes, TimeoutError,
# InvalidStateError, ExceptionGroup, ...) is an Exception.
SCENARIO_EXCEPTIONS = (Exception, asyncio.CancelledError)


class MalformedGraph(Exception):
    """The input file is not a graph this runner can execute."""


def op_kind(op):
    """The kind of an op object (2.5), or MalformedGraph if it has none."""
    if not isinstance(op, dict):
        raise MalformedGraph(f"an op must be an object, not {op!r}")
    keywords = [key for key in op if key in OP_KEYWORDS and key != "timeout"]
    if len(keywords) == 1:
        return keywords[0]
    if not keywords and "timeout" in op:
        return "timeout"
    raise MalformedGraph(f"cannot tell the kind of op {op!r}")


# ---------------------------------------------------------------------------
# The virtual-time event loop
# ---------------------------------------------------------------------------

class Deadlock(Exception):
    """Raised out of the loop when CPython would block forever (4.8)."""


class VirtualSelector:
    """Stands in for the selector that `BaseEventLoop._run_once` polls.

    `_run_once` asks it to wait `timeout`: None means "until an I/O event",
    which can never come, so the run is deadlocked; a positive timeout means
    "until the head of the timer heap is due", so the clock jumps there.
    A zero timeout (callbacks are ready, or the loop is stopping) is a pure
    poll.  There is never an I/O event to report.
    """

    def __init__(self, loop):
        self._loop = loop

    def select(self, timeout):
        if timeout is None:
            raise Deadlock()
        if timeout > 0:
            self._loop.advance_to(self._loop._scheduled[0]._when)
        return []


class VirtualTimeLoop(asyncio.base_events.BaseEventLoop):
    """CPython's base event loop on an integer clock, with no I/O at all."""

    def __init__(self):
        super().__init__()
        self._now = 0
        self._selector = VirtualSelector(self)
        # `_run_once` treats a timer as due when `when < now + resolution`.
        # With a resolution of one tick that is exactly `when <= now` on
        # integers (CPython's 1e-9 would vanish in float rounding once the
        # clock passes about 10**7 ticks).
        self._clock_resolution = 1
        # Debug mode (PYTHONASYNCIODEBUG, -X dev) would change scheduling
        # details; the reference always runs without it.
        self.set_debug(False)

    def time(self):
        return self._now

    def advance_to(self, when):
        self._now = max(self._now, when)

    def _process_events(self, event_list):
        """There are no I/O events to process."""

    def _write_to_self(self):
        """Nothing can wake the loop from another thread."""


# ---------------------------------------------------------------------------
# The two patched set orders (4.9)
# ---------------------------------------------------------------------------

class InsertionOrderedSet:
    """The part of the `set` API that TaskGroup and as_completed use,
    iterating in insertion order instead of address order."""

    def __init__(self, items=()):
        self._items = dict.fromkeys(items)

    def add(self, item):
        self._items[item] = None

    def discard(self, item):
        self._items.pop(item, None)

    def remove(self, item):
        del self._items[item]

    def clear(self):
        self._items.clear()

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)


class SpawnOrderTaskGroup(asyncio.TaskGroup):
    """asyncio.TaskGroup whose abort cancels its children in spawn order.

    CPython keeps the children in a plain set and `_abort` cancels them in
    set order; the only change here is the container.
    """

    def __init__(self):
        super().__init__()
        self._tasks = InsertionOrderedSet()


def _as_completed_in_first_occurrence_order():
    """CPython's `asyncio.as_completed`, registering its done callbacks on
    the distinct inputs in order of first occurrence.

    CPython builds its set of inputs (`todo`) as a plain set, then registers
    a callback on each member in set order; for inputs that are already done
    that order is the order of their items.  The function is recompiled from
    CPython's own source with that one statement swapped for an
    insertion-ordered set of the same members; everything else, down to the
    Queue hops and the timeout timer, is CPython's code.
    """
    module = asyncio.tasks
    source = inspect.getsource(module.as_completed)
    original = "todo = {ensure_future(f, loop=loop) for f in set(fs)}"
    ordered = "todo = InsertionOrderedSet(ensure_future(f, loop=loop) for f in fs)"
    if source.count(original) != 1:
        raise RuntimeError("asyncio.as_completed is not the CPython 3.12 code "
                           "this runner knows how to patch")
    namespace = dict(vars(module), InsertionOrderedSet=InsertionOrderedSet)
    exec(compile(source.replace(original, ordered), module.__file__, "exec"),
         namespace)
    return namespace["as_completed"]


ordered_as_completed = _as_completed_in_first_occurrence_order()


# ---------------------------------------------------------------------------
# Interpreting task bodies
# ---------------------------------------------------------------------------

class Returning(NamedTuple):
    """A `return` op is leaving the blocks that enclose it with `value`.

    It travels as a return value, not an exception, so that `timeout` and
    `taskgroup` blocks are left normally (4.7) and `finally` blocks see a
    return rather than an error.
    """
    value: object


class Scope(NamedTuple):
    """What an op can see lexically in its task body."""
    task: str          # name of the task definition containing the op
    caught: object     # exception of the innermost enclosing handler, for {"raise": null}
    group: object      # innermost enclosing task group, for spawn


class TaskCoroutine:
    """The coroutine handed to asyncio.Task for a task body.

    It forwards `send` and `throw` to the body's coroutine unchanged.  Its
    only addition: when CPython throws a CancelledError into a body that has
    not started (a task cancelled before its first step), no code of the body
    can run, yet the contract wants the task's `end` event at exactly that
    moment (3.2), so it is reported here.
    """

    def __init__(self, body, on_cancelled_before_start):
        self._body = body
        self._on_cancelled_before_start = on_cancelled_before_start

    def send(self, value):
        return self._body.send(value)

    def throw(self, exc):
        if inspect.getcoroutinestate(self._body) == inspect.CORO_CREATED:
            self._on_cancelled_before_start(exc)
        return self._body.throw(exc)

    def close(self):
        self._body.close()


# asyncio.Task accepts anything that is a collections.abc.Coroutine.
collections.abc.Coroutine.register(TaskCoroutine)


def fatal(message):
    """Abort on an internal failure: no trace, a message, exit status 1.

    `os._exit` rather than `sys.exit`: the failure may be noticed inside a
    task step, where an exception would only fail that task.
    """
    sys.stderr.write(f"run_graph.py: internal error: {message}\n")
    sys.stderr.flush()
    os._exit(1)


def dump(obj):
    """Compact JSON exactly as the trace writes it (3.1)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def handler_matches(handler_type, exc):
    """Handler matching of 4.6: by exact class name, with two wildcards."""
    if handler_type == "BaseException":
        return True
    if handler_type == "Exception":
        return not isinstance(exc, asyncio.CancelledError)
    return type(exc).__name__ == handler_type


class ScenarioRun:
    """One run of one graph, from the creation of the main task to `finish`."""

    def __init__(self, graph):
        self._bodies = graph["tasks"]
        self._main = graph["main"]
        self._future_names = collect_future_names(graph)
        self._loop = VirtualTimeLoop()
        self._loop.set_exception_handler(self._on_loop_exception)
        self._lines = []
        self._exception_classes = {
            "CancelledError": asyncio.CancelledError,
            "TimeoutError": TimeoutError,
        }
        self._tasks = {}       # spawned tasks by name, in spawn order
        self._futures = {}     # created futures by name
        self._names = {}       # task or future object -> its name
        self._ops = {kind: getattr(self, "_op_" + kind) for kind in OP_KEYWORDS}

    # -- the run (4.1) -----------------------------------------------------

    def run(self):
        """Execute the scenario and return its trace as one string."""
        loop = self._loop
        main = loop.create_task(self._task_coroutine(self._main), name=self._main)
        self._register_task(self._main, main)
        try:
            outcome = {"ok": loop.run_until_complete(main)}
        except Deadlock:
            return self._finish(None, deadlock=True)
        except SCENARIO_EXCEPTIONS as exc:
            outcome = self.render_exception(exc)

        # asyncio.run's shutdown, with the leftovers taken once, in spawn order.
        try:
            leftovers = [task for task in self._tasks.values() if not task.done()]
            if leftovers:
                for task in leftovers:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor(300))
        except Deadlock:
            return self._finish(outcome, deadlock=True)
        loop.close()
        return self._finish(outcome, deadlock=False)

    def _finish(self, outcome, deadlock):
        self._emit({
            "ev": "finish",
            "run": outcome,
            "deadlock": deadlock,
            "tasks_pending": sorted(n for n, t in self._tasks.items() if not t.done()),
            "futures_pending": sorted(n for n, f in self._futures.items() if not f.done()),
        })
        return "".join(line + "\n" for line in self._lines)

    def _on_loop_exception(self, loop, context):
        """The loop's exception handler.

        Reports about never-retrieved exceptions or destroyed pending tasks
        are not part of the trace (section 5) and are dropped.  A callback
        that raised, though, means a bug in this runner.
        """
        if "handle" in context:
            fatal(f"{context.get('message')}: {context.get('exception')!r}")

    # -- events (3.2) ------------------------------------------------------

    def _emit(self, fields):
        self._lines.append(dump({"t": self._loop.time(), **fields}))

    def _emit_op(self, scope, path, kind, out):
        self._emit({"task": scope.task, "ev": "op", "at": path, "op": kind, "out": out})

    def _emit_end(self, task, out):
        self._emit({"task": task, "ev": "end", "out": out})

    def _report_callback(self, ref, label, obj):
        """The done callback registered by `add_done_callback`."""
        if obj.cancelled():
            state = "cancelled"
        elif obj.exception() is not None:
            state = "err"
        else:
            state = "ok"
        self._emit({"ev": "callback", "of": ref, "label": label, "state": state})

    # -- outcomes and exceptions (2.5, 3.4) -----------------------------------

    def render_exception(self, exc):
        """The OUTCOME form of an exception."""
        if isinstance(exc, asyncio.CancelledError):
            return {"cancelled": exc.args[0] if exc.args else None}
        self._check_scenario_exception(exc)
        if isinstance(exc, ExceptionGroup):
            return {"err": type(exc).__name__, "msg": exc.message,
                    "excs": [self.render_exception(member) for member in exc.exceptions]}
        return {"err": type(exc).__name__, "msg": str(exc)}

    def _check_scenario_exception(self, exc):
        """Stop at once if `exc` is not one a scenario can see (3.4): any
        other exception comes from a bug in this runner or a malformed op,
        and must not be rendered or caught as if it were scenario data."""
        kind = type(exc)
        if kind in self._exception_classes.values():
            return
        if kind in (asyncio.InvalidStateError, ExceptionGroup):
            return
        if kind is RuntimeError and str(exc).startswith("TaskGroup <"):
            return
        fatal("".join(traceback.format_exception(exc)))

    def _exception_class(self, name):
        """The class a scenario exception name designates (2.5): one class per
        name and run, derived from Exception, except for two names."""
        if name not in self._exception_classes:
            self._exception_classes[name] = type(name, (Exception,), {})
        return self._exception_classes[name]

    def _make_exception(self, spec):
        cls = self._exception_class(spec["type"])
        msg = spec.get("msg")
        return cls() if msg is None else cls(msg)

    def _scenario_error(self, message):
        return self._exception_class("ScenarioError")(message)

    # -- names (4.5) -------------------------------------------------------

    def _resolve(self, name):
        """The task or future a reference designates."""
        if name in self._future_names:
            if name not in self._futures:
                raise self._scenario_error(f"not created: {name}")
            return self._futures[name]
        if name not in self._tasks:
            raise self._scenario_error(f"not spawned: {name}")
        return self._tasks[name]

    def _resolve_all(self, names):
        return [self._resolve(name) for name in names]

    def _register_task(self, name, task):
        self._tasks[name] = task
        self._names[task] = name

    # -- task bodies -------------------------------------------------------

    def _task_coroutine(self, name):
        def cancelled_before_start(exc):
            self._emit_end(name, self.render_exception(exc))
        return TaskCoroutine(self._task_body(name), cancelled_before_start)

    async def _task_body(self, name):
        self._emit({"task": name, "ev": "start"})
        scope = Scope(task=name, caught=None, group=None)
        try:
            returning = await self._run_block(self._bodies[name], "", scope)
        except SCENARIO_EXCEPTIONS as exc:
            self._emit_end(name, self.render_exception(exc))
            raise
        value = None if returning is None else returning.value
        self._emit_end(name, {"ok": value})
        return value

    async def _run_block(self, ops, prefix, scope):
        """Run a block; a `Returning` if a return op is leaving it, else None."""
        for index, op in enumerate(ops):
            returning = await self._run_op(op, f"{prefix}{index}", scope)
            if returning is not None:
                return returning
        return None

    async def _run_op(self, op, path, scope):
        """Run one op and emit its `op` event as control leaves it (4.4)."""
        kind = op_kind(op)
        try:
            result = await self._ops[kind](op, path, scope)
        except SCENARIO_EXCEPTIONS as exc:
            self._emit_op(scope, path, kind, self.render_exception(exc))
            raise
        if isinstance(result, Returning):
            self._emit_op(scope, path, kind, {"return": result.value})
            return result
        self._emit_op(scope, path, kind, {"ok": result})
        return None

    # -- the ops (4.3) -------------------------------------------------------
    #
    # Each returns the rendered result value of its op; block ops return a
    # `Returning` when a return op is leaving them.

    async def _op_spawn(self, op, path, scope):
        name = op["spawn"]
        if name in self._tasks:
            raise self._scenario_error(f"already spawned: {name}")
        coroutine = self._task_coroutine(name)
        create_task = scope.group.create_task if scope.group else asyncio.create_task
        try:
            task = create_task(coroutine, name=name)
        except BaseException:
            # The body never runs; close it so Python does not warn that it
            # was never awaited.
            coroutine.close()
            raise
        self._register_task(name, task)
        return None

    async def _op_sleep(self, op, path, scope):
        await asyncio.sleep(op["sleep"])
        return None

    async def _op_await(self, op, path, scope):
        return await self._resolve(op["await"])

    async def _op_gather(self, op, path, scope):
        awaitables = self._resolve_all(op["gather"])
        results = await asyncio.gather(
            *awaitables, return_exceptions=op.get("return_exceptions", False))
        return [self.render_exception(r) if isinstance(r, BaseException) else r
                for r in results]

    async def _op_wait(self, op, path, scope):
        awaitables = self._resolve_all(op["wait"])
        # asyncio's return_when constants are these very strings.
        done, pending = await asyncio.wait(
            awaitables, timeout=op.get("timeout"),
            return_when=op.get("return_when", asyncio.ALL_COMPLETED))
        return {"done": sorted(self._names[obj] for obj in done),
                "pending": sorted(self._names[obj] for obj in pending)}

    async def _op_wait_for(self, op, path, scope):
        return await asyncio.wait_for(self._resolve(op["wait_for"]), op["timeout"])

    async def _op_shield(self, op, path, scope):
        return await asyncio.shield(self._resolve(op["shield"]))

    async def _op_as_completed(self, op, path, scope):
        awaitables = self._resolve_all(op["as_completed"])
        for index, next_done in enumerate(ordered_as_completed(awaitables, timeout=op.get("timeout"))):
            try:
                value = await next_done
            except Exception as exc:    # a CancelledError ends the op instead
                out = self.render_exception(exc)
            else:
                out = {"ok": value}
            self._emit({"task": scope.task, "ev": "item", "at": path, "i": index, "out": out})
        return None

    async def _op_cancel(self, op, path, scope):
        return self._resolve(op["cancel"]).cancel(msg=op.get("msg"))

    async def _op_return(self, op, path, scope):
        return Returning(op["return"])

    async def _op_raise(self, op, path, scope):
        if op["raise"] is None:
            raise scope.caught      # lexical re-raise (4.6): the very same object
        raise self._make_exception(op["raise"])

    async def _op_try(self, op, path, scope):
        try:
            return await self._run_block(op["try"], f"{path}.try.", scope)
        except SCENARIO_EXCEPTIONS as exc:
            handler = next((h for h in op.get("except", []) if handler_matches(h["type"], exc)),
                           None)
            if handler is None:
                raise
            return await self._run_block(handler["do"], f"{path}.except.{handler['type']}.",
                                         scope._replace(caught=exc))
        finally:
            if "finally" in op:
                returning = await self._run_block(op["finally"], f"{path}.finally.", scope)
                if returning is not None:
                    # Python semantics: a return in `finally` replaces the
                    # exception or return that was leaving the try.
                    return returning

    async def _op_timeout(self, op, path, scope):
        async with asyncio.timeout(op["timeout"]):
            return await self._run_block(op["do"], f"{path}.do.", scope)

    async def _op_taskgroup(self, op, path, scope):
        async with SpawnOrderTaskGroup() as group:
            return await self._run_block(op["taskgroup"], f"{path}.taskgroup.",
                                         scope._replace(group=group))

    async def _op_future(self, op, path, scope):
        name = op["future"]
        if name in self._futures:
            raise self._scenario_error(f"already created: {name}")
        future = self._loop.create_future()
        self._futures[name] = future
        self._names[future] = name
        return None

    async def _op_set_result(self, op, path, scope):
        self._resolve(op["set_result"]).set_result(op["value"])
        return None

    async def _op_set_exception(self, op, path, scope):
        self._resolve(op["set_exception"]).set_exception(self._make_exception(op["exc"]))
        return None

    async def _op_add_done_callback(self, op, path, scope):
        ref = op["add_done_callback"]
        self._resolve(ref).add_done_callback(
            functools.partial(self._report_callback, ref, op["label"]))
        return None

    async def _op_done(self, op, path, scope):
        return self._resolve(op["done"]).done()

    async def _op_cancelled(self, op, path, scope):
        return self._resolve(op["cancelled"]).cancelled()

    async def _op_cancelling(self, op, path, scope):
        return self._resolve(op["cancelling"]).cancelling()

    async def _op_uncancel(self, op, path, scope):
        return self._resolve(op["uncancel"]).uncancel()


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

def nested_blocks(op, kind):
    """The blocks (op lists) nested directly in a block op."""
    if kind == "try":
        yield op["try"]
        for handler in op.get("except", []):
            if not isinstance(handler, dict) or not isinstance(handler.get("type"), str):
                raise MalformedGraph(f"malformed handler {handler!r}")
            yield handler["do"]
        if "finally" in op:
            yield op["finally"]
    elif kind == "timeout":
        yield op["do"]
    elif kind == "taskgroup":
        yield op["taskgroup"]


def walk_ops(block):
    """Every op of a block, nested ones included, with its kind."""
    if not isinstance(block, list):
        raise MalformedGraph(f"a block must be a list, not {block!r}")
    for op in block:
        kind = op_kind(op)
        yield op, kind
        try:
            for nested in nested_blocks(op, kind):
                yield from walk_ops(nested)
        except KeyError as missing:
            raise MalformedGraph(f"op {op!r} lacks its block {missing}") from None


def collect_future_names(graph):
    """Future names are those that appear in a `future` op anywhere (2.3)."""
    return {op["future"]
            for body in graph["tasks"].values()
            for op, kind in walk_ops(body) if kind == "future"}


def load_graph(path):
    """Read a graph file and check the structure the runner depends on."""
    try:
        with open(path, encoding="utf-8") as file:
            graph = json.load(file)
    except (OSError, ValueError, RecursionError) as error:
        raise MalformedGraph(str(error)) from None
    if not isinstance(graph, dict) or graph.get("format") != "aiosim-graph/1":
        raise MalformedGraph('not an "aiosim-graph/1" document')
    tasks = graph.get("tasks")
    if not isinstance(tasks, dict) or not tasks:
        raise MalformedGraph('"tasks" must be a non-empty object')
    if graph.get("main") not in tasks:
        raise MalformedGraph('"main" must name a task of "tasks"')
    collect_future_names(graph)     # walks every op: raises on a malformed one
    return graph


# ---------------------------------------------------------------------------
# Batch mode
# ---------------------------------------------------------------------------

BATCH_USAGE = "usage: run_graph.py --batch [--write SUFFIX] [--time-limit SECONDS] [PATH ...]\n"


def batch_paths(args):
    """The graph files named by the batch arguments, in order."""
    for arg in args or ["-"]:
        if arg == "-":
            for line in sys.stdin:
                line = line.rstrip("\r\n")
                if line:
                    yield line
        elif os.path.isdir(arg):
            for name in sorted(os.listdir(arg)):
                if name.endswith(".json"):
                    yield os.path.join(arg, name)
        else:
            yield arg


def run_one(path):
    """One graph, as single-file mode runs it: `(status, bytes)` with status
    "ok" (the trace) or "malformed" (the message).  Internal failures end
    the process (`fatal`)."""
    try:
        graph = load_graph(path)
    except MalformedGraph as error:
        return "malformed", f"run_graph.py: {path}: {error}\n".encode("utf-8")
    return "ok", ScenarioRun(graph).run().encode("utf-8")


def run_forked(path, time_limit):
    """`run_one` in a forked child; `(status, bytes)`, where a child that
    crashed, called `fatal` or overran `time_limit` gives "failed"."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                                    # the child
        try:
            os.close(read_end)
            import signal
            signal.alarm(time_limit)                # SIGALRM kills the child
            status, payload = run_one(path)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(status.encode("ascii") + b"\n" + payload)
        except BaseException:                      # pragma: no cover
            traceback.print_exc()
            os._exit(1)
        # As in single-file mode: leave without tearing anything down.
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, wait_status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(wait_status)
    status, _, payload = data.partition(b"\n")
    if code == 0 and status in (b"ok", b"malformed"):
        return status.decode("ascii"), payload
    reason = (f"killed by signal {-code}" if code < 0 else f"exit status {code}")
    if code == -14:
        reason += f" (time limit of {time_limit} s)"
    return "failed", f"run_graph.py: {path}: internal error, {reason}\n".encode("utf-8")


# Without fork, runs share the process: keep every finished run (its loop,
# tasks and suspended coroutines) alive, so that the garbage collector never
# closes an old coroutine (running its `finally` ops) during a later run.
_finished_runs = []


def run_in_process(path):
    try:
        graph = load_graph(path)
    except MalformedGraph as error:
        return "malformed", f"run_graph.py: {path}: {error}\n".encode("utf-8")
    run = ScenarioRun(graph)
    _finished_runs.append(run)
    return "ok", run.run().encode("utf-8")


def batch_main(args):
    write_suffix = None
    time_limit = 60
    while args and args[0].startswith("--"):
        option = args.pop(0)
        if option == "--write" and args:
            write_suffix = args.pop(0)
        elif option == "--time-limit" and args and args[0].isdigit():
            time_limit = int(args.pop(0))
        elif option == "--":
            break
        else:
            sys.stderr.write(BATCH_USAGE)
            return 2
    out = sys.stdout.buffer
    all_ok = True
    for path in batch_paths(args):
        if hasattr(os, "fork"):
            status, payload = run_forked(path, time_limit)
        else:
            status, payload = run_in_process(path)
        all_ok = all_ok and status == "ok"
        if status == "ok" and write_suffix is not None:
            base = path[:-len(".json")] if path.endswith(".json") else path
            with open(base + write_suffix, "wb") as file:
                file.write(payload)
            payload = b""
        elif status != "ok":
            sys.stderr.buffer.write(payload)
            sys.stderr.flush()
        out.write(f"#aiosim-batch {status} {len(payload)} {path}\n".encode("utf-8"))
        out.write(payload)
        out.flush()
    return 0 if all_ok else 1


def main(argv):
    if len(argv) >= 2 and argv[1] == "--batch":
        status = batch_main(argv[2:])
        sys.stdout.flush()
        os._exit(status)
    if len(argv) != 2:
        sys.stderr.write("usage: run_graph.py FILE\n")
        sys.stderr.write(BATCH_USAGE)
        return 2
    try:
        graph = load_graph(argv[1])
    except MalformedGraph as error:
        sys.stderr.write(f"run_graph.py: {argv[1]}: {error}\n")
        return 2
    trace = ScenarioRun(graph).run()
    sys.stdout.buffer.write(trace.encode("utf-8"))
    sys.stdout.buffer.flush()
    # Leave without tearing down: unfinished task bodies would otherwise be
    # closed by the garbage collector and run their `finally` ops after the
    # trace is complete.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
