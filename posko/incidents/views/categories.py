"""Report categories (Pemda-wide; the Desk admin adds and changes them)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core.views import ObjectEditView
from posko.incidents import services
from posko.incidents.forms import CategoryForm
from posko.incidents.models import Category


class CategoryListView(LoginRequiredMixin, TemplateView):
    template_name = "incidents/category_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        services.active_categories()
        context.update(categories=Category.objects.select_related("default_agency"),
                       can_edit=self.request.user.is_desk_admin)
        return context


class CategoryEditView(ObjectEditView):
    """Add or change a report category (desk admins; the generic edit view audits it)."""

    model = Category
    form_class = CategoryForm
    template_name = "incidents/simple_edit.html"

    def can_create(self) -> bool:
        return self.request.user.is_desk_admin

    def success_url(self, obj) -> str:
        return reverse("incidents:category_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Report category"),
                                        back=reverse("incidents:category_list"), **kwargs)
