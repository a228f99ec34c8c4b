"""Sample checks of the registry (§六(二) 固定抽样与临时抽样): stratified random draws of registered households by
county and status (``draw``), the visits that verify them (``services``) and the stratified estimates with 95 %
intervals of the share of wrong data and of wrongly exited households (``estimate``).

``allocation`` and ``estimate`` are pure (no database) so they can be checked on simulated populations at scale."""
