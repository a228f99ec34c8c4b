"""Assistance responsibility (帮扶责任落实): cadres, pairings, work teams, visits."""
