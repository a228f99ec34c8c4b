"""12317 grievances (扶贫监督举报)."""
