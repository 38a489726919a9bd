"""Trading-volume statistics: rollups of registered contracts, targets, dashboard and exports."""
