"""Listed transfer (挂牌) and online auctions (竞价): lots, bidders, bids, results."""
