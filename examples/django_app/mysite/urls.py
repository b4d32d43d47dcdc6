from django.contrib import admin
from django.urls import path
from newsletter import views

urlpatterns = [
    path("signup", views.signup),
    path("tasks/<str:result_id>", views.task_status),
    path("admin/", admin.site.urls),
]
