def test_login_flow(client, auth, create_user):
    user = create_user(role="admin")
    response = auth.login(user)
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert client.get("/admin/users").status_code == 200
    assert client.get("/admin/audit").status_code == 200
    assert client.get("/admin/settings").status_code == 200
    assert client.get("/admin/users/import").status_code == 200
    assert client.get("/account/profile").status_code == 200
    assert client.get(f"/admin/users/{user.id}").status_code == 200
    assert client.get("/admin/users/new").status_code == 200
