from . import nav


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "kind", "staff") != "staff":
        return {"staff_nav": []}
    return {"staff_nav": nav.entries_for(user)}
