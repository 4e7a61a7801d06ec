"""Keeping an instance's task tree as small as its live frontier.

SpiffWorkflow keeps every task an instance ever ran in its task tree, and a modelled loop
unrolls into an ever deeper tree: every step then restores, walks and re-serializes the
whole history, so completing task 1000 of an instance cost ~30x task 10, and a 1000-item
multi-instance ran for a quarter of an hour. Flowdesk does not need that history in the
state: every completed task is already recorded, with its data, in the audit events
written in the same step. So before the state is saved, :func:`prune` drops the finished
tasks that SpiffWorkflow will never look at again.

What SpiffWorkflow 3.2 still reads, and is therefore kept:

* every unfinished task (predicted, future, waiting, ready, started) and every task in
  ERROR (a retry runs it again), with all their descendants;
* the lowest common ancestor of those and of ``workflow.last_task`` (Flowdesk reads the
  last task's data, call activities copy a finished subprocess's last task data), with
  everything below it: the splits that structured joins look for with ``find_ancestor``
  (boundary events, event-based and start-event splits), the finished branches whose
  join tasks a parallel or inclusive gateway counts (they all hang below the split that
  opened them, which is an ancestor of every branch still running), the children of a
  multi-instance task;
* the parent of that ancestor (a waiting join checks its parent's state and spec).

Everything above is cut: the ancestor's parent becomes the root's only child. One thing
SpiffWorkflow reads from the cut part: a parallel gateway that merges a loop-back with an
earlier flow (``start -> split`` and ``more -> split``) counts an input as arrived when it
finds that input's spec among the ancestors of its later instances, walking up to the
very first task. So the root keeps, in ``internal_data[ANCESTRY]``, the distinct specs of
the cut ancestors in the order a walk upwards meets them (bounded by the size of the
process), and :func:`parallel_gateway_threshold` (an override of
``ParallelGateway._check_threshold_unstructured``) walks through that summary where the
original walked through the tasks. Below it,
the COMPLETED instances of a running multi-instance (their data was merged into the
multi-instance task when they completed, ``internal_data['merged']`` keeps their ids)
are dropped too, except the last merged one (its completion condition reads it). The
subprocesses (call activities, embedded subprocesses) of dropped tasks go with them, and
running subprocesses are pruned by the same rules.

This rewrites SpiffWorkflow's private tree links (``Task._parent``/``_children``,
``BpmnWorkflow.tasks``/``subprocesses``); it is written against SpiffWorkflow 3.2
(pyproject pins ``>=3.2.0,<3.3``) and covered by tests/runtime/test_pruning.py, which runs
loops, parallel and inclusive joins, multi-instance, boundary timers and call activities
through pruned states.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

LIVE = TaskState.NOT_FINISHED_MASK | TaskState.ERROR
ANCESTRY = "flowdesk_pruned_ancestry"


def prune(workflow) -> int:
    """Drop the finished history of ``workflow`` (a top-level BpmnWorkflow) and of its
    running subprocesses; returns how many tasks were dropped."""
    removed = 0
    finished = []
    for task_id, sub in list(workflow.subprocesses.items()):
        if sub.completed:
            try:
                owner = workflow.get_task_from_id(task_id)
            except TaskNotFoundException:  # its owner was cancelled away (a cancelled instance)
                owner = None
            if owner is None or owner.state & (TaskState.COMPLETED | TaskState.CANCELLED):
                finished.append(task_id)
        else:
            removed += _prune_tree(workflow, sub)
    removed += _prune_tree(workflow, workflow)
    # A finished call activity's subprocess is read only in the step it completes in.
    _forget_subprocesses(workflow, [i for i in finished if i in workflow.subprocesses])
    return removed


def _prune_tree(top, workflow) -> int:
    tasks = workflow.tasks
    root = workflow.task_tree
    if root is None or len(tasks) < 8:
        return 0
    live = [t for t in tasks.values() if t.state & LIVE]
    if not live:
        return 0
    anchors = live
    last = workflow.last_task
    if last is not None and last.id in tasks:
        anchors = [*live, last]
    lca = _lowest_common_ancestor(anchors)
    doomed: list = []
    if lca is not None:
        keep_top = lca.parent if lca.parent is not None else lca
        if keep_top is not root and keep_top.parent is not root and keep_top.parent is not None:
            kept = _subtree_ids(workflow, keep_top)
            kept.add(root.id)
            doomed = [t for t in tasks.values() if t.id not in kept]
            _summarize_cut_ancestry(root, keep_top)
            root._children = [keep_top.id]
            keep_top._parent = root.id
    doomed_ids = {t.id for t in doomed}
    for task in list(tasks.values()):
        if task.id in doomed_ids or not isinstance(task.task_spec, LoopTask) or not task.state & LIVE:
            continue
        doomed.extend(_merged_instances(workflow, task, last))
    if not doomed:
        return 0
    _forget(top, workflow, doomed)
    return len(doomed)


def _lowest_common_ancestor(anchors):
    tasks = anchors[0].workflow.tasks
    path: list = []
    node = anchors[0]
    while node is not None:
        path.append(node.id)
        node = tasks.get(node._parent) if node._parent is not None else None
    path.reverse()  # root ... anchor
    position = {task_id: i for i, task_id in enumerate(path)}
    deepest = len(path) - 1
    for anchor in anchors[1:]:
        node = anchor
        while node is not None and node.id not in position:
            node = tasks.get(node._parent) if node._parent is not None else None
        if node is None:
            return None  # not one tree: leave it alone
        deepest = min(deepest, position[node.id])
        if deepest == 0:
            break
    return tasks.get(path[deepest])


def _subtree_ids(workflow, top) -> set:
    tasks = workflow.tasks
    seen = set()
    pending = [top.id]
    while pending:
        task_id = pending.pop()
        if task_id in seen:
            continue
        seen.add(task_id)
        task = tasks.get(task_id)
        if task is not None:
            pending.extend(task._children)
    return seen


def _merged_instances(workflow, task, last) -> list:
    """Completed instances of a running multi-instance/loop task, minus the last merged one."""
    merged = task.internal_data.get("merged") or []
    keep = {merged[-1]} if merged else set()
    if last is not None:
        keep.add(str(last.id))
    merged_ids = None
    drop = []
    tasks = workflow.tasks
    for child_id in task._children:
        child = tasks.get(child_id)
        # The state first: of a thousand items, the few completed ones are spelled out
        # and looked up among the merged (not every item, every step).
        if child is None or child.state != TaskState.COMPLETED:
            continue
        if merged_ids is None:
            merged_ids = set(merged)
        text = str(child.id)
        if text in keep or text not in merged_ids:
            continue
        subtree = [workflow.tasks[i] for i in _subtree_ids(workflow, child) if i in workflow.tasks]
        if any(t.state & LIVE for t in subtree) or (last is not None and last in subtree):
            continue
        drop.extend(subtree)
    if drop:
        gone = {t.id for t in drop}
        task._children = [c for c in task._children if c not in gone]
    return drop


def _forget(top, workflow, doomed) -> None:
    """Remove tasks from the workflow, with their subprocesses and event registrations."""
    gone = set()
    for task in doomed:
        gone.add(task.id)
        workflow.tasks.pop(task.id, None)
        top.event_manager.tasks.pop(task.id, None)
    _forget_subprocesses(top, [i for i in gone if i in top.subprocesses])


def _forget_subprocesses(top, owner_ids) -> None:
    pending = list(owner_ids)
    while pending:
        sub = top.subprocesses.pop(pending.pop(), None)
        if sub is None:
            continue
        for task_id in sub.tasks:
            top.event_manager.tasks.pop(task_id, None)
            if task_id in top.subprocesses:
                pending.append(task_id)


def _summarize_cut_ancestry(root, keep_top) -> None:
    names: list[str] = []
    node = keep_top.parent
    while node is not None and node is not root:
        if node.task_spec.name not in names:
            names.append(node.task_spec.name)
        node = node.parent
    for name in root.internal_data.get(ANCESTRY, []):
        if name not in names:
            names.append(name)
    root.internal_data[ANCESTRY] = names


# -- replacements of SpiffWorkflow 3.2 functions, installed by overrides.py ---------------------

def parallel_gateway_threshold(self, my_task):
    """``ParallelGateway._check_threshold_unstructured`` of SpiffWorkflow 3.2, with the
    ancestor walk going through the summary of pruned ancestors (see module docstring),
    and iterative instead of recursive (the original recursed once per tree level)."""
    tasks = my_task.workflow.get_tasks(spec_name=self.name)
    waiting_inputs = set(self.inputs)
    specs = my_task.workflow.spec.task_specs

    def remove_ancestor(task):
        node = task
        while node is not None:
            if node.task_spec in waiting_inputs:
                waiting_inputs.remove(node.task_spec)
                return
            parent = node.parent
            if parent is not None and parent.parent is None:  # node is the top of the kept tree
                for name in parent.internal_data.get(ANCESTRY, ()):
                    spec = specs.get(name)
                    if spec in waiting_inputs:
                        waiting_inputs.remove(spec)
                        return
            node = parent

    for task in tasks:
        if task.is_descendant_of(my_task):
            remove_ancestor(task)
        elif my_task.is_descendant_of(task):
            continue
        elif task.parent.state == TaskState.COMPLETED and task.parent.task_spec in waiting_inputs:
            waiting_inputs.remove(task.parent.task_spec)
    return len(waiting_inputs) == 0


def is_descendant_of(self, task) -> bool:
    """``Task.is_descendant_of`` without recursion (deep unpruned trees overflowed it)."""
    node = self.parent
    while node is not None:
        if node == task:
            return True
        node = node.parent
    return False

