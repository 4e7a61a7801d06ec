"""Reports computed from history: KPIs per process and task, and the controls report."""
