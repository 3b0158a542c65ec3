"""The spiders: navigation only; pages go to the item pipelines as ArticleCapture items."""
