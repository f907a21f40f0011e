# Import every user of the instance...
terraform import domo_user_roster.staff all

# ...or only those at one email domain, or with one role.
terraform import domo_user_roster.staff email_domain:example.com
terraform import domo_user_roster.staff role:Participant
