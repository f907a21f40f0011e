# Import an existing Domo user by its numeric id...
terraform import domo_user.analyst 1234567

# ...or by email address (matched case-insensitively).
terraform import domo_user.analyst email:ada.lovelace@example.com
