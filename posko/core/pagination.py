from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Page-numbered results with a ``count`` of all matching rows."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
