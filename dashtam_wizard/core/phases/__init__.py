"""One module per phase of the plan; each turns a Tree into a PhasePlan without writing."""
